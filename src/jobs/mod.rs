//! Background work: the analysis worker reading the job streams.

pub mod worker;
