//! The body of a request sent upstream: the bytes the client sent, as they are, or with the
//! gateway's few changes (asking a chat stream for its usage, a lowered output cap) spliced in
//! between slices of them. The client's buffer is never copied into a new one: a spliced body
//! is a handful of `Bytes` that share it, written out one after another.
//!
//! Cloning is cheap (reference counts), so each upstream attempt sends its own copy.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

#[derive(Debug, Clone, Default)]
pub struct OutBody {
    pieces: Pieces,
    /// The next piece to send.
    next: usize,
}

#[derive(Debug, Clone)]
enum Pieces {
    /// The common case: one buffer, no allocation beyond it.
    Whole(Bytes),
    Spliced(Arc<[Bytes]>),
}

impl Default for Pieces {
    fn default() -> Self {
        Pieces::Whole(Bytes::new())
    }
}

impl OutBody {
    pub fn whole(body: Bytes) -> OutBody {
        OutBody {
            pieces: Pieces::Whole(body),
            next: 0,
        }
    }

    /// `pieces` in order; empty ones are skipped when sent.
    pub fn spliced(pieces: Vec<Bytes>) -> OutBody {
        OutBody {
            pieces: Pieces::Spliced(pieces.into()),
            next: 0,
        }
    }

    fn pieces(&self) -> &[Bytes] {
        match &self.pieces {
            Pieces::Whole(b) => std::slice::from_ref(b),
            Pieces::Spliced(p) => p,
        }
    }

    /// Bytes left to send.
    pub fn len(&self) -> usize {
        self.pieces()
            .get(self.next..)
            .unwrap_or_default()
            .iter()
            .map(Bytes::len)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole body in one buffer (tests, and the rare reader that needs it contiguous).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for piece in self.pieces().get(self.next..).unwrap_or_default() {
            out.extend_from_slice(piece);
        }
        out
    }
}

impl Body for OutBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        loop {
            let Some(piece) = self.pieces().get(self.next).cloned() else {
                return Poll::Ready(None);
            };
            self.next += 1;
            if !piece.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(piece))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    #[tokio::test]
    async fn a_spliced_body_sends_its_pieces_in_order_and_says_its_length() {
        let client = Bytes::from_static(b"{\"model\":\"m\"}");
        let body = OutBody::spliced(vec![
            client.slice(..1),
            Bytes::from_static(b"\"x\":1,"),
            Bytes::new(),
            client.slice(1..),
        ]);
        assert_eq!(body.len(), client.len() + 6);
        assert_eq!(body.size_hint().exact(), Some(body.len() as u64));
        let again = body.clone();
        let sent = body.collect().await.unwrap().to_bytes();
        assert_eq!(&sent[..], b"{\"x\":1,\"model\":\"m\"}");
        // Each attempt sends the whole body.
        assert_eq!(again.collect().await.unwrap().to_bytes(), sent);
        let whole = OutBody::whole(client.clone());
        assert_eq!(whole.to_vec(), client.to_vec());
        assert!(OutBody::default().is_end_stream());
    }
}
