//! Reading the decimal digits of a timestamp, eight at a time: the one arithmetic trick of
//! the fast scanner, kept apart so that it can be checked against `str::parse` on its own.

/// The value of up to 19 decimal digits (none is 0), eight at a time; `None` when a byte
/// is no digit or there are more (timestamps reach 20 digits in the year 2286; serde_json reads those).
/// Up to 19 digits cannot overflow.
pub(super) fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.len() > 19 {
        return None;
    }
    let (head, eights) = digits.split_at(digits.len() % 8);
    let mut n = 0;
    for &byte in head {
        let digit = byte.wrapping_sub(b'0');
        (digit < 10).then_some(())?;
        n = n * 10 + u64::from(digit);
    }
    for eight in eights.chunks_exact(8) {
        n = n * 100_000_000 + eight_digits(eight.try_into().expect("eight bytes"))?;
    }
    Some(n)
}

/// The value of eight decimal digits in a word: all bytes checked to be `0`–`9` at once,
/// then neighbours are combined, pairs, quads, eights.
fn eight_digits(digits: [u8; 8]) -> Option<u64> {
    const NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let word = u64::from_le_bytes(digits);
    // `0`–`9` is 0x30–0x39: high nibble 3, and still 3 after adding 6.
    let digits_only =
        word & NIBBLES == ZEROS && word.wrapping_add(0x0606_0606_0606_0606) & NIBBLES == ZEROS;
    // Each product's high bits overflow and are not wanted: wrapping is the method.
    digits_only.then(|| {
        let pairs = (word & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561) >> 8;
        let quads = (pairs & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
        (quads & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32
    })
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimals_read_like_str_parse() {
        let mut numbers = vec![String::new(), "0".into(), "1795000000585066929".into()];
        numbers.extend((1..=19).map(|len| "9876543210".chars().cycle().take(len).collect()));
        // A non-digit in every place, including the bytes next to `0` and `9`.
        for bad in ["/", ":", "a", " ", "\u{e9}"] {
            numbers.extend((0..19).map(|at| {
                let mut digits = "1234567890123456789".to_owned();
                digits.replace_range(at..=at, bad);
                digits
            }));
        }
        numbers.push("12345678901234567890".into());
        for number in &numbers {
            let expected = match number.len() {
                0 => Some(0),
                1..=19 => number.parse::<u64>().ok(),
                _ => None,
            };
            assert_eq!(decimal(number.as_bytes()), expected, "{number}");
        }
    }
}
