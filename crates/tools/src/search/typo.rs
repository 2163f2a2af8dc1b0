//! Typo tolerance: a bounded Damerau-Levenshtein (optimal string alignment) distance, shared by
//! free-text words and by `make` / `model` filter values.

/// Typos forgiven in a word of `chars` letters: none below 4, where one edit away lie too many
/// unrelated words ("suv", "sub", "sur") for a correction to be more than a guess.
pub(super) fn max_typos(chars: usize) -> usize {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Optimal-string-alignment distance (Damerau-Levenshtein with adjacent transpositions) if it is
/// at most `max`, else `None`. Stops as soon as a whole row exceeds `max`, so rejecting a
/// candidate costs a few cells, not the full matrix.
pub(super) fn osa_within(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let m = b.len();
    let mut prev2: Vec<usize> = vec![0; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur: Vec<usize> = vec![0; m + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[m]).filter(|&d| d <= max)
}
