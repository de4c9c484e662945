//! A body 64 bytes at a time: where a block's quotes, backslashes and brackets are, as bitmasks
//! (bit `i` is byte `i` of the block), which bytes a run of backslashes escapes, and which bytes
//! lie inside strings. This is the first stage of simdjson (Langdale and Lemire, "Parsing
//! Gigabytes of JSON per Second", 2019), cut down to what skipping a value needs. An agent's
//! history is mostly strings dense with escapes (code, `\n`, `\"`): looking for the next quote
//! or backslash one `memchr` call at a time cost a call per escape, 3.8 instructions per byte
//! of a benchmark history; blocks cost 1.6.

/// Bytes per block: one bit each in a `u64`.
pub const WIDTH: usize = 64;

/// Where a block's quotes and backslashes are: all a string's bytes need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quotes {
    pub quote: u64,
    pub backslash: u64,
}

/// Where a block's brackets are: asked only of blocks that are not wholly inside a string,
/// which in an agent's history are few.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Brackets {
    /// `{` and `[`.
    pub open: u64,
    /// `}` and `]`.
    pub close: u64,
}

impl Quotes {
    pub fn of(block: &[u8; WIDTH]) -> Quotes {
        let [quote, backslash] = classes(block, [b'"', b'\\'], 0);
        Quotes { quote, backslash }
    }
}

impl Brackets {
    pub fn of(block: &[u8; WIDTH]) -> Brackets {
        // `[` and `]` are `{` and `}` less 0x20, and no other byte becomes either with 0x20 set.
        let [open, close] = classes(block, [b'{', b'}'], 0x20);
        Brackets { open, close }
    }
}

/// For each of `bytes`, the mask of the block's bytes equal to it once OR-ed with `fold`.
fn classes(block: &[u8; WIDTH], bytes: [u8; 2], fold: u8) -> [u64; 2] {
    #[cfg(target_arch = "x86_64")]
    {
        sse2(block, bytes, fold)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scalar(block, bytes, fold)
    }
}

/// Byte by byte: the reference the vector version is tested against, and the version on
/// targets without SSE2.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn scalar(block: &[u8; WIDTH], bytes: [u8; 2], fold: u8) -> [u64; 2] {
    let mut masks = [0u64; 2];
    for (i, &b) in block.iter().enumerate() {
        for (mask, want) in masks.iter_mut().zip(bytes) {
            if b | fold == want {
                *mask |= 1 << i;
            }
        }
    }
    masks
}

/// Sixteen bytes per compare. SSE2 is part of every x86_64 CPU, so no detection is needed.
#[cfg(target_arch = "x86_64")]
fn sse2(block: &[u8; WIDTH], bytes: [u8; 2], fold: u8) -> [u64; 2] {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let splat = |b: u8| set_splat_i8_m128i(b as i8);
    let (a, b, fold) = (splat(bytes[0]), splat(bytes[1]), splat(fold));
    let mut masks = [0u64; 2];
    let (chunks, _) = block.as_chunks::<16>();
    for (k, chunk) in chunks.iter().enumerate() {
        let v = bitor_m128i(load_unaligned_m128i(chunk), fold);
        let bits = |m| u64::from(move_mask_i8_m128i(m) as u16) << (16 * k);
        masks[0] |= bits(cmp_eq_mask_i8_m128i(v, a));
        masks[1] |= bits(cmp_eq_mask_i8_m128i(v, b));
    }
    masks
}

/// Which bytes are escaped, block after block: the byte after a backslash that is not itself
/// escaped. A run of backslashes escapes the byte after it when the run is odd.
#[derive(Debug, Default)]
pub struct Escapes {
    /// 1 when the next block's first byte is escaped by a run that ended this block.
    carry: u64,
}

impl Escapes {
    /// The escaped bytes of the block whose backslashes are `backslash`. Branch-free: runs that
    /// start on an odd bit are carried to their end by an addition, which tells each run's
    /// parity from where it stops (simdjson's `find_escaped_branchless`).
    pub fn next(&mut self, backslash: u64) -> u64 {
        const EVEN: u64 = 0x5555_5555_5555_5555;
        let backslash = backslash & !self.carry;
        let follows_escape = (backslash << 1) | self.carry;
        let odd_starts = backslash & !EVEN & !follows_escape;
        let (even_ends, overflow) = odd_starts.overflowing_add(backslash);
        self.carry = u64::from(overflow);
        (EVEN ^ (even_ends << 1)) & follows_escape
    }
}

/// Bit `i` of the result is the XOR of bits `0..=i` of `x`: given the unescaped quotes, the
/// bytes from each opening quote up to (not including) its closing one.
pub fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Mostly the bytes that matter, so blocks are dense with them.
    fn byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => prop::sample::select(&b"\"\\{}[]a :,"[..]),
            1 => any::<u8>(),
        ]
    }

    fn block() -> impl Strategy<Value = [u8; WIDTH]> {
        prop::collection::vec(byte(), WIDTH).prop_map(|v| {
            let mut b = [0u8; WIDTH];
            b.copy_from_slice(&v);
            b
        })
    }

    /// Escapes byte by byte, through any number of blocks.
    fn escaped_bytes(bytes: &[u8]) -> Vec<bool> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut escaping = false;
        for &b in bytes {
            out.push(escaping);
            escaping = !escaping && b == b'\\';
        }
        out
    }

    /// Byte by byte, without the fold trick: what each class means.
    fn by_hand(block: &[u8; WIDTH]) -> (Quotes, Brackets) {
        let (mut q, mut b) = (Quotes::default(), Brackets::default());
        for (i, &x) in block.iter().enumerate() {
            let bit = 1u64 << i;
            match x {
                b'"' => q.quote |= bit,
                b'\\' => q.backslash |= bit,
                b'{' | b'[' => b.open |= bit,
                b'}' | b']' => b.close |= bit,
                _ => {}
            }
        }
        (q, b)
    }

    #[test]
    fn every_byte_value_is_classed_as_byte_by_byte() {
        for start in (0..=255u8).step_by(WIDTH) {
            let mut b = [0u8; WIDTH];
            for (i, x) in b.iter_mut().enumerate() {
                *x = start.wrapping_add(i as u8);
            }
            assert_eq!((Quotes::of(&b), Brackets::of(&b)), by_hand(&b));
        }
    }

    #[test]
    fn a_run_of_backslashes_across_blocks_escapes_by_its_parity() {
        for run in 0..200 {
            let mut bytes = vec![b'a'; 100];
            bytes.extend(std::iter::repeat_n(b'\\', run));
            bytes.extend(b"\"".iter().chain([b'x'; 150].iter()));
            bytes.truncate(3 * WIDTH);
            bytes.resize(3 * WIDTH, b'x');
            let mut escapes = Escapes::default();
            let mut got = Vec::new();
            for chunk in bytes.chunks_exact(WIDTH) {
                let block: &[u8; WIDTH] = chunk.try_into().unwrap_or(&[0; WIDTH]);
                let e = escapes.next(Quotes::of(block).backslash);
                got.extend((0..WIDTH).map(|i| e >> i & 1 == 1));
            }
            assert_eq!(got, escaped_bytes(&bytes), "a run of {run}");
        }
    }

    proptest! {
        #[test]
        fn the_vector_classes_are_the_scalar_ones(b in block()) {
            prop_assert_eq!((Quotes::of(&b), Brackets::of(&b)), by_hand(&b));
            prop_assert_eq!(
                classes(&b, [b'"', b'{'], 0x20),
                scalar(&b, [b'"', b'{'], 0x20)
            );
        }

        #[test]
        fn escapes_match_a_byte_by_byte_walk(blocks in prop::collection::vec(block(), 1..5)) {
            let bytes: Vec<u8> = blocks.concat();
            let mut escapes = Escapes::default();
            let mut got = Vec::new();
            for b in &blocks {
                let e = escapes.next(Quotes::of(b).backslash);
                got.extend((0..WIDTH).map(|i| e >> i & 1 == 1));
            }
            prop_assert_eq!(got, escaped_bytes(&bytes));
        }

        #[test]
        fn prefix_xor_is_the_running_parity(x in any::<u64>()) {
            let mut parity = 0;
            let mut want = 0u64;
            for i in 0..64 {
                parity ^= x >> i & 1;
                want |= parity << i;
            }
            prop_assert_eq!(prefix_xor(x), want);
        }
    }
}
