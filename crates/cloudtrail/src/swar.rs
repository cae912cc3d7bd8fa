//! Finding the end of a JSON string's plain run eight bytes at a time ("SIMD within a register", safe Rust).
//! Most of a CloudTrail record is string content, so this is the inner loop of both the record parser and the
//! reader's boundary scan.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is zero (exact for the lowest such byte; a borrow can only flag bytes
/// above a true hit, and callers only use the lowest).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The index of the first `"` or `\` at or after `from` (and, with `controls`, of the first byte below 0x20,
/// which JSON forbids inside strings), or `bytes.len()` if there is none.
#[inline]
pub(crate) fn string_stop(bytes: &[u8], from: usize, controls: bool) -> usize {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let mut special =
            zero_bytes(w ^ (ONES * u64::from(b'"'))) | zero_bytes(w ^ (ONES * u64::from(b'\\')));
        if controls {
            special |= w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        }
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || (controls && b < 0x20) {
            break;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::string_stop;

    #[test]
    fn agrees_with_a_byte_by_byte_scan() {
        let naive = |bytes: &[u8], from: usize, controls: bool| {
            (from..bytes.len())
                .find(|&i| bytes[i] == b'"' || bytes[i] == b'\\' || (controls && bytes[i] < 0x20))
                .unwrap_or(bytes.len())
        };
        for len in 0..40 {
            for at in 0..=len {
                for stop in [b'"', b'\\', 0x01, 0x1f, 0x7f, 0xc3] {
                    // Plain ASCII and UTF-8 around one candidate stop byte, then a second stop later.
                    let mut bytes: Vec<u8> = "abcdé fghijklmnopqrstuvwxyz0123456789ABCDEFG"
                        .bytes()
                        .take(len)
                        .collect();
                    if at < bytes.len() {
                        bytes[at] = stop;
                    }
                    bytes.extend_from_slice(b"xy\"z");
                    for from in [0, at.min(bytes.len())] {
                        for controls in [true, false] {
                            assert_eq!(
                                string_stop(&bytes, from, controls),
                                naive(&bytes, from, controls),
                                "{bytes:?} from {from} controls {controls}"
                            );
                        }
                    }
                }
            }
        }
    }
}
