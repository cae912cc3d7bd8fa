//! Finding the end of a JSON string's plain run, sixteen bytes at a time. Most of a CloudTrail record is string
//! content, so this is the inner loop of both the record parser and the reader's boundary scan.
//!
//! The block step uses the `wide` crate's 16-lane vectors (SSE2 on x86-64, NEON on arm64, plain code elsewhere):
//! one unaligned load, three byte compares and a move-mask per 16 bytes, in safe code (the project forbids
//! `unsafe`, which the `std::arch` loads need). The last bytes of a buffer, fewer than 16, are looked at one by
//! one.

use wide::u8x16;

/// Whether a byte ends a plain run: `"`, `\`, or (with `CONTROLS`) a byte below 0x20, which JSON forbids inside
/// strings.
#[inline(always)]
fn stops<const CONTROLS: bool>(b: u8) -> bool {
    (b == b'"') | (b == b'\\') | (CONTROLS & (b < 0x20))
}

/// The index of the first `"` or `\` at or after `from` (and, with `controls`, of the first byte below 0x20),
/// or `bytes.len()` if there is none.
#[inline(always)]
pub(crate) fn string_stop(bytes: &[u8], from: usize, controls: bool) -> usize {
    if controls {
        stop::<true>(bytes, from)
    } else {
        stop::<false>(bytes, from)
    }
}

#[inline(always)]
fn stop<const CONTROLS: bool>(bytes: &[u8], from: usize) -> usize {
    let quote = u8x16::splat(b'"');
    let backslash = u8x16::splat(b'\\');
    let below_space = u8x16::splat(0x1f);
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 16) {
        let mut block = [0u8; 16];
        block.copy_from_slice(chunk);
        let v = u8x16::new(block);
        let mut stop = v.simd_eq(quote) | v.simd_eq(backslash);
        if CONTROLS {
            // `min(v, 0x1f) == v` is `v <= 0x1f`, unsigned.
            stop |= v.min(below_space).simd_eq(v);
        }
        // Bit k is set when byte k stops the run.
        let mask = stop.to_bitmask();
        if mask != 0 {
            return i + mask.trailing_zeros() as usize;
        }
        i += 16;
    }
    while let Some(&b) = bytes.get(i) {
        if stops::<CONTROLS>(b) {
            break;
        }
        i += 1;
    }
    i
}

/// The character of a one-letter JSON escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`), given the byte
/// after the backslash; `None` for `u` and anything else. Shared by the strict parser (`Dom`) and the lenient
/// field recovery, which differ only in what they do with the rest.
#[inline]
pub(crate) fn short_escape(b: u8) -> Option<char> {
    Some(match b {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
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
        for len in 0..70 {
            for at in 0..=len {
                for stop in [b'"', b'\\', 0x01, 0x1f, 0x7f, 0xc3] {
                    // Plain ASCII and UTF-8 around one candidate stop byte, then a second stop later.
                    let mut bytes: Vec<u8> = "abcdé fghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijkl"
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
