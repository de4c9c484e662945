//! Bytes gathered from pieces. The first piece is kept as it came, so the usual case (one
//! piece: a body read in one go, a stream chunk relayed whole) is never copied; only a second
//! piece starts a joined buffer.

use bytes::{Bytes, BytesMut};

#[derive(Debug, Default)]
pub struct Joined {
    first: Option<Bytes>,
    more: BytesMut,
}

impl Joined {
    /// Adds `piece` after what is gathered; empty pieces change nothing.
    pub fn push(&mut self, piece: Bytes) {
        if piece.is_empty() {
            return;
        }
        if self.first.is_none() && self.more.is_empty() {
            self.first = Some(piece);
            return;
        }
        if let Some(first) = self.first.take() {
            self.more.extend_from_slice(&first);
        }
        self.more.extend_from_slice(&piece);
    }

    pub fn len(&self) -> usize {
        self.first.as_ref().map_or(self.more.len(), Bytes::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everything gathered, leaving nothing; `None` when nothing was.
    pub fn take(&mut self) -> Option<Bytes> {
        if self.more.is_empty() {
            self.first.take()
        } else {
            Some(self.more.split().freeze())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_piece_is_kept_as_it_came_and_more_are_joined_in_order() {
        let mut j = Joined::default();
        assert_eq!(j.take(), None);
        let one = Bytes::from_static(b"abc");
        j.push(Bytes::new());
        j.push(one.clone());
        assert_eq!(j.len(), 3);
        let taken = j.take().unwrap_or_default();
        assert_eq!(taken.as_ptr(), one.as_ptr(), "not copied");
        assert!(j.is_empty());

        for piece in [&b"ab"[..], b"", b"cd", b"e"] {
            j.push(Bytes::copy_from_slice(piece));
        }
        assert_eq!(j.len(), 5);
        assert_eq!(j.take().as_deref(), Some(&b"abcde"[..]));
        assert_eq!(j.take(), None);
    }
}
