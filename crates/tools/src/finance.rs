//! `finance_payment`: a fixed-rate installment loan, exactly as docs/tools.md states it.
//!
//! All arithmetic is `Decimal` (28 significant digits) so results are reproducible to the cent on
//! every platform; floats would make "393.11 vs 393.10" depend on the CPU. Amounts are rounded
//! half-up (away from zero) to cents only where the spec says: the payment and each month's interest.

use crate::{ToolError, cents};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub price: Decimal,
    #[serde(default)]
    pub down_payment: Option<Decimal>,
    #[serde(default)]
    pub trade_in_value: Option<Decimal>,
    #[serde(default)]
    pub trade_in_payoff: Option<Decimal>,
    #[serde(default)]
    pub fees: Option<Decimal>,
    /// Percent, applied to price − trade-in value.
    #[serde(default)]
    pub sales_tax_rate: Option<Decimal>,
    /// Annual percentage rate, percent ("6.9").
    pub apr: Decimal,
    pub term_months: u32,
    #[serde(default)]
    pub schedule: Option<bool>,
}

impl PaymentInput {
    /// A payment question with only the required parts; the rest default to zero.
    pub fn new(price: Decimal, apr: Decimal, term_months: u32) -> PaymentInput {
        PaymentInput {
            price,
            down_payment: None,
            trade_in_value: None,
            trade_in_payoff: None,
            fees: None,
            sales_tax_rate: None,
            apr,
            term_months,
            schedule: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleRow {
    pub n: u32,
    pub payment: Decimal,
    pub principal: Decimal,
    pub interest: Decimal,
    pub balance: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentOutput {
    pub amount_financed: Decimal,
    pub monthly_payment: Decimal,
    pub term_months: u32,
    pub apr: Decimal,
    pub total_of_payments: Decimal,
    pub total_interest: Decimal,
    /// Sales tax included in the amount financed.
    pub sales_tax: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<ScheduleRow>>,
}

/// Largest accepted money input: far above any vehicle, far below `Decimal` overflow.
const MAX_MONEY: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

fn money(field: &str, v: Option<Decimal>) -> Result<Decimal, ToolError> {
    let v = v.unwrap_or(Decimal::ZERO);
    if v.is_sign_negative() && !v.is_zero() {
        return Err(ToolError::invalid(field, format!("must not be negative (got {v})")));
    }
    if v > MAX_MONEY {
        return Err(ToolError::invalid(field, "is larger than 1,000,000,000"));
    }
    Ok(v)
}

fn overflow() -> ToolError {
    ToolError::invalid("price", "amounts too large to compute")
}

/// Computes payment, totals and (on request) the schedule.
pub fn payment(input: &PaymentInput) -> Result<PaymentOutput, ToolError> {
    let price = money("price", Some(input.price))?;
    let down = money("down_payment", input.down_payment)?;
    let trade = money("trade_in_value", input.trade_in_value)?;
    let payoff = money("trade_in_payoff", input.trade_in_payoff)?;
    let fees = money("fees", input.fees)?;
    let tax_rate = input.sales_tax_rate.unwrap_or(Decimal::ZERO);
    if tax_rate.is_sign_negative() && !tax_rate.is_zero() || tax_rate > Decimal::ONE_HUNDRED {
        return Err(ToolError::invalid(
            "sales_tax_rate",
            "must be a percentage between 0 and 100",
        ));
    }
    if input.term_months == 0 || input.term_months > 120 {
        return Err(ToolError::invalid("term_months", "must be between 1 and 120 months"));
    }
    if input.apr.is_sign_negative() && !input.apr.is_zero() || input.apr > Decimal::ONE_HUNDRED {
        return Err(ToolError::invalid("apr", "must be a percentage between 0 and 100"));
    }
    if down > price {
        return Err(ToolError::invalid(
            "down_payment",
            format!("down payment {down} is more than the price {price}"),
        ));
    }
    let taxable = (price - trade).max(Decimal::ZERO);
    let sales_tax = cents(taxable * tax_rate / Decimal::ONE_HUNDRED);
    let amount = cents(price + fees + sales_tax - down - trade + payoff);
    if amount <= Decimal::ZERO {
        return Err(ToolError::invalid(
            "amount_financed",
            format!("price + fees + tax − down payment − trade-in value + payoff is {amount}: nothing to finance"),
        ));
    }
    let n = input.term_months;
    let r = input.apr / Decimal::from(1200);
    let monthly = monthly_payment(amount, r, n).ok_or_else(overflow)?;
    let rows = amortize(amount, r, n, monthly).ok_or_else(overflow)?;
    let total: Decimal = rows.iter().map(|row| row.payment).sum();
    Ok(PaymentOutput {
        amount_financed: amount,
        monthly_payment: monthly,
        term_months: n,
        apr: input.apr.normalize(),
        total_of_payments: cents(total),
        total_interest: cents(total - amount),
        sales_tax,
        schedule: input.schedule.unwrap_or(false).then_some(rows),
    })
}

/// A·r / (1 − (1 + r)^−n), or A / n at r = 0; rounded half-up to cents.
///
/// Written as A·r·f / (f − 1) with f = (1 + r)^n so the only power is a positive integer one, done by
/// repeated squaring in `Decimal`: 28 significant digits keep the error around 1e-20, far below
/// the half-cent that decides rounding.
pub fn monthly_payment(amount: Decimal, r: Decimal, n: u32) -> Option<Decimal> {
    if n == 0 {
        return None;
    }
    if r.is_zero() {
        return Some(cents(amount.checked_div(Decimal::from(n))?));
    }
    let f = pow(Decimal::ONE.checked_add(r)?, n)?;
    let exact = amount
        .checked_mul(r)?
        .checked_mul(f)?
        .checked_div(f.checked_sub(Decimal::ONE)?)?;
    Some(cents(exact))
}

fn pow(base: Decimal, mut exp: u32) -> Option<Decimal> {
    let mut result = Decimal::ONE;
    let mut b = base;
    while exp > 0 {
        if exp & 1 == 1 {
            result = result.checked_mul(b)?;
        }
        exp >>= 1;
        if exp > 0 {
            b = b.checked_mul(b)?;
        }
    }
    Some(result)
}

/// The schedule: interest on the balance rounded to cents each month; the last payment clears the
/// balance. A payment never exceeds balance + interest, so when a rounded-up payment on a tiny loan
/// clears it early the remaining months are 0.00 rather than a negative balance.
pub fn amortize(amount: Decimal, r: Decimal, n: u32, monthly: Decimal) -> Option<Vec<ScheduleRow>> {
    let mut rows = Vec::with_capacity(n as usize);
    let mut balance = amount;
    for k in 1..=n {
        let interest = cents(balance.checked_mul(r)?);
        let due = balance.checked_add(interest)?;
        let payment = if k == n { due } else { monthly.min(due) };
        let principal = payment - interest;
        balance -= principal;
        rows.push(ScheduleRow {
            n: k,
            payment,
            principal,
            interest,
            balance: cents(balance),
        });
    }
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn input(price: Decimal, apr: Decimal, n: u32) -> PaymentInput {
        PaymentInput::new(price, apr, n)
    }

    /// The worked example of docs/tools.md.
    #[test]
    fn spec_example() {
        let mut i = input(dec!(27900), dec!(6.9), 60);
        i.down_payment = Some(dec!(1000));
        i.trade_in_value = Some(dec!(7000));
        i.trade_in_payoff = Some(dec!(0));
        i.schedule = Some(true);
        let o = payment(&i).unwrap();
        assert_eq!(o.amount_financed.to_string(), "19900.00");
        assert_eq!(o.monthly_payment.to_string(), "393.11");
        assert_eq!(o.total_of_payments.to_string(), "23586.27");
        assert_eq!(o.total_interest.to_string(), "3686.27");
        let s = o.schedule.unwrap();
        assert_eq!(s.len(), 60);
        assert_eq!(s[0].interest.to_string(), "114.43"); // 19900 × 0.00575 = 114.425 → half-up
        assert_eq!(s[59].balance.to_string(), "0.00");
        let v = serde_json::to_value(payment(&input(dec!(27900), dec!(6.9), 60)).unwrap()).unwrap();
        assert_eq!(v["apr"], "6.9");
        assert!(v.get("schedule").is_none());
    }

    /// Standard mortgage illustration: $200,000 at 6.5 % for 30 years → $1,264.14 a month
    /// (A·r/(1−(1+r)^−360), r = 0.065/12; the figure printed by every amortization calculator,
    /// e.g. the Bankrate and Calculator.net mortgage calculators).
    #[test]
    fn published_mortgage_example() {
        let m = monthly_payment(dec!(200000), dec!(6.5) / dec!(1200), 360).unwrap();
        assert_eq!(m, dec!(1264.14));
    }

    /// Auto loan: $20,000 at 5 % for 60 months → $377.42 a month, total interest ≈ $2,645.20
    /// as calculators print it (377.42 × 60 − 20,000). The spec's schedule rounds interest monthly
    /// and lets the last payment clear the balance (377.74 here, absorbing the 0.0046/month the
    /// rounded payment falls short), so the exact total interest is 2,645.52.
    #[test]
    fn published_auto_example() {
        let o = payment(&PaymentInput {
            schedule: Some(true),
            ..input(dec!(20000), dec!(5), 60)
        })
        .unwrap();
        assert_eq!(o.monthly_payment, dec!(377.42));
        assert_eq!(o.total_interest, dec!(2645.52));
        assert_eq!(o.schedule.unwrap()[59].payment, dec!(377.74));
    }

    /// $10,000 at 12 % for 12 months → $888.49 (r = 1 % a month; the classic finance-textbook case).
    #[test]
    fn published_one_percent_example() {
        let m = monthly_payment(dec!(10000), dec!(0.01), 12).unwrap();
        assert_eq!(m, dec!(888.49));
    }

    #[test]
    fn errors_name_the_field() {
        let field = |i: &PaymentInput| match payment(i).unwrap_err() {
            ToolError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(&input(dec!(-1), dec!(5), 60)), "price");
        assert_eq!(field(&input(dec!(1000), dec!(5), 0)), "term_months");
        assert_eq!(field(&input(dec!(1000), dec!(5), 121)), "term_months");
        assert_eq!(field(&input(dec!(1000), dec!(-0.1), 60)), "apr");
        assert_eq!(field(&input(dec!(1000), dec!(100.01), 60)), "apr");
        let mut i = input(dec!(1000), dec!(5), 60);
        i.down_payment = Some(dec!(1001));
        assert_eq!(field(&i), "down_payment");
        let mut i = input(dec!(1000), dec!(5), 60);
        i.down_payment = Some(dec!(1000));
        assert_eq!(field(&i), "amount_financed");
        let mut i = input(dec!(1000), dec!(5), 60);
        i.trade_in_value = Some(dec!(-5));
        assert_eq!(field(&i), "trade_in_value");
        let mut i = input(dec!(1000), dec!(5), 60);
        i.sales_tax_rate = Some(dec!(101));
        assert_eq!(field(&i), "sales_tax_rate");
        assert_eq!(field(&input(dec!(1000000000000), dec!(5), 60)), "price");
    }

    #[test]
    fn tax_fees_and_payoff() {
        let mut i = input(dec!(30000), dec!(0), 10);
        i.trade_in_value = Some(dec!(10000));
        i.trade_in_payoff = Some(dec!(2000));
        i.fees = Some(dec!(500));
        i.sales_tax_rate = Some(dec!(7.25));
        let o = payment(&i).unwrap();
        assert_eq!(o.sales_tax, dec!(1450.00)); // 7.25 % of 20,000
        assert_eq!(o.amount_financed, dec!(23950.00));
        assert_eq!(o.monthly_payment, dec!(2395.00));
        assert_eq!(o.total_interest, dec!(0.00));
    }

    #[test]
    fn tiny_loan_never_goes_negative() {
        let o = payment(&PaymentInput {
            schedule: Some(true),
            ..input(dec!(1), dec!(0), 120)
        })
        .unwrap();
        let s = o.schedule.unwrap();
        assert!(
            s.iter()
                .all(|r| r.balance >= Decimal::ZERO && r.payment >= Decimal::ZERO)
        );
        assert_eq!(o.total_of_payments, dec!(1.00));
    }

    fn amount() -> impl Strategy<Value = Decimal> {
        (100i64..20_000_000).prop_map(|c| Decimal::new(c, 2))
    }
    fn apr() -> impl Strategy<Value = Decimal> {
        (0i64..=3000).prop_map(|b| Decimal::new(b, 2))
    }

    proptest! {
        #[test]
        fn principal_sums_to_amount_and_balance_ends_at_zero(a in amount(), apr in apr(), n in 1u32..=120) {
            let o = payment(&PaymentInput { schedule: Some(true), ..input(a, apr, n) }).unwrap();
            let s = o.schedule.unwrap();
            let principal: Decimal = s.iter().map(|r| r.principal).sum();
            prop_assert_eq!(principal, o.amount_financed);
            prop_assert_eq!(s.last().unwrap().balance, Decimal::ZERO);
            prop_assert!(s.iter().all(|r| r.balance >= Decimal::ZERO));
            let total: Decimal = s.iter().map(|r| r.payment).sum();
            prop_assert_eq!(total, o.total_of_payments);
            prop_assert_eq!(o.total_interest, o.total_of_payments - o.amount_financed);
        }

        #[test]
        fn zero_apr_is_amount_over_term(a in amount(), n in 1u32..=120) {
            let o = payment(&input(a, Decimal::ZERO, n)).unwrap();
            prop_assert_eq!(o.monthly_payment, cents(a / Decimal::from(n)));
        }

        #[test]
        fn payment_is_monotone_in_apr(a in amount(), x in apr(), y in apr(), n in 1u32..=120) {
            let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
            let p_lo = payment(&input(a, lo, n)).unwrap().monthly_payment;
            let p_hi = payment(&input(a, hi, n)).unwrap().monthly_payment;
            prop_assert!(p_lo <= p_hi, "{} > {}", p_lo, p_hi);
        }

        #[test]
        fn payment_is_monotone_in_amount(a in amount(), b in amount(), apr in apr(), n in 1u32..=120) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let p_lo = payment(&input(lo, apr, n)).unwrap().monthly_payment;
            let p_hi = payment(&input(hi, apr, n)).unwrap().monthly_payment;
            prop_assert!(p_lo <= p_hi, "{} > {}", p_lo, p_hi);
        }
    }
}
