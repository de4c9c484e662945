//! Incremental Server-Sent-Events splitting for the data plane's streamed responses.
//!
//! The gateway relays upstream event streams byte for byte (Anthropic thinking signatures and
//! event types we have never heard of must reach the client unchanged), so nothing here
//! re-serializes: [`Splitter`] finds event boundaries in the chunks as they pass and hands out
//! borrowed views of each completed event. It follows the WHATWG `text/event-stream` rules:
//! lines end in `\n`, `\r\n` or `\r`; a blank line ends an event; `data:` lines are joined with
//! `\n`; a line starting with `:` is a comment; one space after the colon is dropped; a leading
//! UTF-8 BOM is ignored. Chunks may split anywhere, also between the `\r` and `\n` of one line end.
//!
//! Two ways to drive it, one per stream:
//! - observe-only ([`Splitter::feed`]): the caller forwards every chunk untouched and is told of
//!   each completed event;
//! - filter ([`Splitter::filter`]): the caller drops some complete events and forwards what the
//!   splitter hands back, which is exactly the original bytes of every other event, comment and
//!   blank line, released as soon as each one is complete. The gateway uses it to hide the
//!   usage-only chat chunk it asked upstream for on behalf of a client that did not.
//!
//! Reading usage out of the events is [`crate::usage`]'s job; this module knows no JSON.
//!
//! Cost: one `memchr` pass over each chunk; a completed event that lies inside one chunk is
//! parsed in place. Only an incomplete tail is copied into a carry buffer, and only an event with
//! several `data:` lines is joined into a scratch buffer; both are reused, so a warmed-up
//! splitter does not allocate.

use std::ops::Range;

use memchr::{memchr, memchr2};

/// The UTF-8 byte order mark a stream may open with; the standard says to skip it.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One dispatched event, borrowed from the chunk, the carry buffer or the scratch buffer; valid
/// only inside the callback that receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The `event:` field. `None` when absent or empty, which the standard reads as `message`
    /// (OpenAI chat streams never name their events). A name that is not UTF-8 also reads as
    /// `None`; no upstream we speak to sends one.
    pub name: Option<&'a str>,
    /// The `data:` lines joined with `\n`, without the final line end.
    pub data: &'a [u8],
    /// The `id:` field if this event set one. The splitter does not carry the last event ID from
    /// event to event as a browser would: model APIs do not use it.
    pub id: Option<&'a [u8]>,
    /// The `retry:` field, when it was all ASCII digits.
    pub retry: Option<u64>,
}

/// A piece of output in filter mode, to be forwarded in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span<'a> {
    /// Bytes of earlier chunks that were held back until their event completed. Copy them.
    Held(&'a [u8]),
    /// A range of the chunk just passed in, so a caller holding the chunk as `bytes::Bytes` can
    /// forward `chunk.slice(range)` without copying.
    Chunk(Range<usize>),
}

/// What to do with a `\n` arriving at the start of a chunk that follows a `\r`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum PendingLf {
    /// The previous chunk did not end in a line-ending `\r`.
    #[default]
    None,
    /// The `\r` ended a line of a still incomplete event: a `\n` belongs to that event.
    InEvent,
    /// The `\r` ended the blank line that completed an event: a `\n` belongs to that event and
    /// is forwarded only if the event was.
    AfterEvent { kept: bool },
}

/// An incremental SSE event splitter; one per stream. See the module docs.
///
/// Observe-only, the caller forwarding each chunk itself:
/// ```
/// use codexkey_common::sse::Splitter;
///
/// let mut splitter = Splitter::new();
/// let mut names = Vec::new();
/// for chunk in [&b"event: ping\nda"[..], b"ta: {}\n\ndata: [DONE]\n\n"] {
///     // forward `chunk` to the client here, then:
///     splitter.feed(chunk, |event| names.push(event.name.map(str::to_owned)));
/// }
/// assert_eq!(names, [Some("ping".to_owned()), None]);
/// assert!(splitter.finish().is_empty(), "the stream ended on an event boundary");
/// ```
///
/// Filter, hiding the events a predicate rejects:
/// ```
/// use codexkey_common::sse::{Span, Splitter};
///
/// let mut splitter = Splitter::new();
/// let mut out = Vec::new();
/// for chunk in [&b"data: keep\n\ndata: dr"[..], b"op\n\ndata: [DONE]\n\n"] {
///     splitter.filter(
///         chunk,
///         |event| event.data != b"drop",
///         |span| match span {
///             Span::Held(bytes) => out.extend_from_slice(bytes),
///             Span::Chunk(range) => out.extend_from_slice(&chunk[range]),
///         },
///     );
/// }
/// assert_eq!(out, b"data: keep\n\ndata: [DONE]\n\n");
/// ```
#[derive(Debug, Default)]
pub struct Splitter {
    /// Bytes of the incomplete event at the end of the last chunk (before the BOM is decided:
    /// the BOM bytes seen so far).
    carry: Vec<u8>,
    /// Joined data of events with several `data:` lines.
    scratch: Vec<u8>,
    /// Whether the stream's first bytes were checked for a BOM.
    bom_checked: bool,
    /// Whether `carry` ends inside a line (else the next byte starts one).
    mid_line: bool,
    pending_lf: PendingLf,
}

/// How a chunk's completed events are consumed: told of events, or also asked to keep them
/// and handed the bytes to forward. Monomorphized, so observe-only pays for no filtering.
trait Sink {
    const FILTER: bool;
    /// Told of a dispatched event; answers whether to forward it.
    fn event(&mut self, event: &Event<'_>) -> bool;
    fn emit(&mut self, span: Span<'_>);
}

struct Observe<F>(F);

impl<F: FnMut(&Event<'_>)> Sink for Observe<F> {
    const FILTER: bool = false;
    fn event(&mut self, event: &Event<'_>) -> bool {
        (self.0)(event);
        true
    }
    fn emit(&mut self, _: Span<'_>) {}
}

struct Filter<K, E> {
    keep: K,
    emit: E,
}

impl<K, E> Sink for Filter<K, E>
where
    K: FnMut(&Event<'_>) -> bool,
    E: FnMut(Span<'_>),
{
    const FILTER: bool = true;
    fn event(&mut self, event: &Event<'_>) -> bool {
        (self.keep)(event)
    }
    fn emit(&mut self, span: Span<'_>) {
        (self.emit)(span);
    }
}

impl Splitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Observe-only: reads `chunk` and calls `on_event` for each event it completes. The caller
    /// forwards `chunk` itself, untouched.
    pub fn feed<F>(&mut self, chunk: &[u8], on_event: F)
    where
        F: FnMut(&Event<'_>),
    {
        self.push(chunk, &mut Observe(on_event));
    }

    /// Filter: reads `chunk`, asks `keep` about each event it completes, and calls `emit` with
    /// the bytes to forward, in order: the original bytes of every kept event (its comments and
    /// line ends included), of comments and of blank lines outside events, and of a leading BOM.
    /// A dropped event loses all of its lines, through its closing blank line. An incomplete
    /// tail is held back and released (as [`Span::Held`], then a range of a later chunk) once
    /// it completes. `keep` sees every dispatched event, so it doubles as the usage observer.
    ///
    /// Use one mode for the whole stream: after [`Splitter::feed`] the held tail has already
    /// been forwarded by the caller.
    pub fn filter<K, E>(&mut self, chunk: &[u8], keep: K, emit: E)
    where
        K: FnMut(&Event<'_>) -> bool,
        E: FnMut(Span<'_>),
    {
        self.push(chunk, &mut Filter { keep, emit });
    }

    /// [`Splitter::filter`] appending the bytes to forward to `out`.
    pub fn filter_into<K>(&mut self, chunk: &[u8], keep: K, out: &mut Vec<u8>)
    where
        K: FnMut(&Event<'_>) -> bool,
    {
        self.filter(chunk, keep, |span| match span {
            Span::Held(bytes) => out.extend_from_slice(bytes),
            Span::Chunk(range) => out.extend_from_slice(&chunk[range]),
        });
    }

    /// Bytes received that belong to no completed event yet (held back in filter mode).
    pub fn pending_len(&self) -> usize {
        self.carry.len()
    }

    /// Ends the stream: returns the bytes after the last completed event and resets the
    /// splitter for a new stream.
    ///
    /// Per the standard, an event not closed by a blank line is discarded, not dispatched, even
    /// if its lines are complete (`data: x\n` at the very end). A non-empty result therefore
    /// means the stream was cut mid-event, which callers treat as truncation. In filter mode
    /// these bytes were never forwarded; whether to send them on is the caller's call.
    pub fn finish(&mut self) -> Vec<u8> {
        let tail = std::mem::take(&mut self.carry);
        self.bom_checked = false;
        self.mid_line = false;
        self.pending_lf = PendingLf::None;
        tail
    }

    fn push<S: Sink>(&mut self, chunk: &[u8], sink: &mut S) {
        if chunk.is_empty() {
            // Nothing to read, and an empty chunk must not forget a pending `\r`.
            return;
        }
        // Next byte to scan.
        let mut i = 0;
        // Where the current event's bytes start in `chunk` (after whatever `carry` holds).
        let mut start = 0;
        // Filter mode: the chunk bytes before `fwd` were emitted or dropped.
        let mut fwd = 0;

        if !self.bom_checked {
            let have = self.carry.len();
            let need = BOM.len() - have;
            let take = need.min(chunk.len());
            if chunk[..take] != BOM[have..have + take] {
                // No BOM: the bytes held while deciding begin the first line.
                self.bom_checked = true;
                self.mid_line = have > 0;
            } else if take < need {
                self.carry.extend_from_slice(chunk);
                return;
            } else {
                // A BOM is part of no event; filter mode forwards it as it came.
                self.bom_checked = true;
                if S::FILTER && have > 0 {
                    sink.emit(Span::Held(&self.carry));
                }
                self.carry.clear();
                i = take;
                start = take;
            }
        }

        match std::mem::take(&mut self.pending_lf) {
            PendingLf::None => {}
            PendingLf::InEvent => {
                if chunk.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            PendingLf::AfterEvent { kept } => {
                if chunk.get(i) == Some(&b'\n') {
                    i += 1;
                    start = i;
                    if !kept {
                        fwd = i;
                    }
                }
            }
        }

        while i < chunk.len() {
            if !self.mid_line && matches!(chunk[i], b'\n' | b'\r') {
                // A blank line: the event is complete.
                let mut end = i + 1;
                let mut cr_at_end = false;
                if chunk[i] == b'\r' {
                    match chunk.get(end) {
                        Some(b'\n') => end += 1,
                        Some(_) => {}
                        None => cr_at_end = true,
                    }
                }
                let kept = self.dispatch(&chunk[start..end], sink);
                if S::FILTER && !kept {
                    if fwd < start {
                        sink.emit(Span::Chunk(fwd..start));
                    }
                    fwd = end;
                }
                if cr_at_end {
                    self.pending_lf = PendingLf::AfterEvent { kept };
                }
                start = end;
                i = end;
                continue;
            }
            match memchr2(b'\n', b'\r', &chunk[i..]) {
                None => {
                    self.mid_line = true;
                    break;
                }
                Some(offset) => {
                    let at = i + offset;
                    i = at + 1;
                    if chunk[at] == b'\r' {
                        match chunk.get(i) {
                            Some(b'\n') => i += 1,
                            Some(_) => {}
                            None => self.pending_lf = PendingLf::InEvent,
                        }
                    }
                    self.mid_line = false;
                }
            }
        }

        if S::FILTER && fwd < start {
            sink.emit(Span::Chunk(fwd..start));
        }
        self.carry.extend_from_slice(&chunk[start..]);
    }

    /// Dispatches the event made of `carry` followed by `rest` (which ends in its blank line)
    /// and answers whether it is kept. In filter mode also emits the held part of a kept event;
    /// the part in the chunk is left to the caller's range.
    fn dispatch<S: Sink>(&mut self, rest: &[u8], sink: &mut S) -> bool {
        if self.carry.is_empty() {
            return parse_event(rest, &mut self.scratch).is_none_or(|event| sink.event(&event));
        }
        let held = self.carry.len();
        self.carry.extend_from_slice(rest);
        let kept =
            parse_event(&self.carry, &mut self.scratch).is_none_or(|event| sink.event(&event));
        if S::FILTER && kept {
            sink.emit(Span::Held(&self.carry[..held]));
        }
        self.carry.clear();
        kept
    }
}

/// Parses the lines of one complete event (ending in its blank line). `None` when it has no
/// `data:` line: the standard dispatches nothing for it (a comment-only keep-alive, say).
fn parse_event<'a>(block: &'a [u8], scratch: &'a mut Vec<u8>) -> Option<Event<'a>> {
    let mut name: Option<&[u8]> = None;
    let mut id = None;
    let mut retry = None;
    let mut data: Option<&[u8]> = None;
    let mut joined = false;
    let mut rest = block;
    loop {
        let (line, next) = split_line(rest);
        rest = next;
        if line.is_empty() {
            // The blank line (or, defensively, the end of the block).
            break;
        }
        if line[0] == b':' {
            continue;
        }
        let (field, value) = match memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &line[line.len()..]),
        };
        match field {
            b"event" => name = Some(value),
            b"data" => match data {
                None => data = Some(value),
                Some(first) => {
                    if !joined {
                        scratch.clear();
                        scratch.extend_from_slice(first);
                        joined = true;
                    }
                    scratch.push(b'\n');
                    scratch.extend_from_slice(value);
                }
            },
            // An ID with a NUL is ignored, as the standard says.
            b"id" if memchr(0, value).is_none() => id = Some(value),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Too large to count milliseconds in: ignored like any bad value.
                retry = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            }
            _ => {}
        }
    }
    let first = data?;
    let scratch: &'a Vec<u8> = scratch;
    Some(Event {
        name: name
            .filter(|name| !name.is_empty())
            .and_then(|name| std::str::from_utf8(name).ok()),
        data: if joined { scratch } else { first },
        id,
        retry,
    })
}

/// Splits off the first line of `buf` (without its line end) and returns it with the rest.
fn split_line(buf: &[u8]) -> (&[u8], &[u8]) {
    match memchr2(b'\n', b'\r', buf) {
        None => (buf, &buf[buf.len()..]),
        Some(at) => {
            let after = if buf[at] == b'\r' && buf.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
            (&buf[..at], &buf[after..])
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    /// An event copied out of the splitter, for comparing runs.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct Owned {
        pub name: Option<String>,
        pub data: Vec<u8>,
        pub id: Option<Vec<u8>>,
        pub retry: Option<u64>,
    }

    impl From<&Event<'_>> for Owned {
        fn from(event: &Event<'_>) -> Self {
            Owned {
                name: event.name.map(str::to_owned),
                data: event.data.to_vec(),
                id: event.id.map(<[u8]>::to_vec),
                retry: event.retry,
            }
        }
    }

    fn owned(name: Option<&str>, data: &str) -> Owned {
        Owned {
            name: name.map(str::to_owned),
            data: data.as_bytes().to_vec(),
            id: None,
            retry: None,
        }
    }

    /// Feeds `chunks` observe-only; returns the events and the unfinished tail.
    pub(crate) fn observe(chunks: &[&[u8]]) -> (Vec<Owned>, Vec<u8>) {
        let mut splitter = Splitter::new();
        let mut events = Vec::new();
        for chunk in chunks {
            splitter.feed(chunk, |event| events.push(Owned::from(event)));
        }
        (events, splitter.finish())
    }

    /// Filters `chunks` with `keep`; returns the forwarded bytes, the events seen and the tail.
    pub(crate) fn filter(
        chunks: &[&[u8]],
        mut keep: impl FnMut(&Event<'_>) -> bool,
    ) -> (Vec<u8>, Vec<Owned>, Vec<u8>) {
        let mut splitter = Splitter::new();
        let mut out = Vec::new();
        let mut events = Vec::new();
        for chunk in chunks {
            splitter.filter_into(
                chunk,
                |event| {
                    events.push(Owned::from(event));
                    keep(event)
                },
                &mut out,
            );
        }
        (out, events, splitter.finish())
    }

    /// Every way of cutting `input` into two chunks, plus one-byte chunks and a few uneven
    /// multi-cuts.
    pub(crate) fn splits(input: &[u8]) -> Vec<Vec<&[u8]>> {
        let mut all = Vec::new();
        for cut in 0..=input.len() {
            all.push(vec![&input[..cut], &input[cut..]]);
        }
        all.push(input.chunks(1).collect());
        for size in [2, 3, 5, 7, 13, 64] {
            all.push(input.chunks(size).collect());
        }
        // Pseudo-random cut points (xorshift), deterministic so failures reproduce.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..50 {
            let mut chunks = Vec::new();
            let mut at = 0;
            while at < input.len() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let len = (state % 24) as usize;
                let end = (at + len).min(input.len());
                chunks.push(&input[at..end]);
                at = end;
            }
            all.push(chunks);
        }
        all
    }

    /// A plain, whole-input reading of the standard to check the splitter against.
    pub(crate) fn reference(input: &[u8]) -> Vec<Owned> {
        let text = input.strip_prefix(BOM).unwrap_or(input);
        let mut lines: Vec<&[u8]> = Vec::new();
        let mut at = 0;
        let mut line_start = 0;
        while at < text.len() {
            match text[at] {
                b'\n' => {
                    lines.push(&text[line_start..at]);
                    at += 1;
                    line_start = at;
                }
                b'\r' => {
                    lines.push(&text[line_start..at]);
                    at += if text.get(at + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                    line_start = at;
                }
                _ => at += 1,
            }
        }
        let mut events = Vec::new();
        let (mut name, mut data, mut id, mut retry) = (Vec::new(), Vec::new(), None, None);
        let mut has_data = false;
        for line in lines {
            if line.is_empty() {
                if has_data {
                    data.pop();
                    events.push(Owned {
                        name: (!name.is_empty()).then(|| String::from_utf8(name.clone()).unwrap()),
                        data: data.clone(),
                        id: id.clone(),
                        retry,
                    });
                }
                (name, data, id, retry, has_data) = (Vec::new(), Vec::new(), None, None, false);
                continue;
            }
            if line[0] == b':' {
                continue;
            }
            let (field, value) = match line.iter().position(|&b| b == b':') {
                Some(c) => {
                    let v = &line[c + 1..];
                    (
                        &line[..c],
                        if v.first() == Some(&b' ') { &v[1..] } else { v },
                    )
                }
                None => (line, &b""[..]),
            };
            match field {
                b"event" => name = value.to_vec(),
                b"data" => {
                    data.extend_from_slice(value);
                    data.push(b'\n');
                    has_data = true;
                }
                b"id" if !value.contains(&0) => id = Some(value.to_vec()),
                b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                    retry = std::str::from_utf8(value).unwrap().parse().ok();
                }
                _ => {}
            }
        }
        events
    }

    /// Checks observe and filter mode on every split of `input` against the whole-input run and
    /// the reference; `keep` decides filtering. Returns the whole-input filtered bytes.
    pub(crate) fn check_all_splits(input: &[u8], keep: fn(&Event<'_>) -> bool) -> Vec<u8> {
        let expected = reference(input);
        let (whole_events, whole_tail) = observe(&[input]);
        assert_eq!(whole_events, expected);
        let (whole_out, filter_events, filter_tail) = filter(&[input], keep);
        assert_eq!(filter_events, expected);
        assert_eq!(filter_tail, whole_tail);
        for chunks in splits(input) {
            let (events, tail) = observe(&chunks);
            assert_eq!(events, expected, "observe, chunks {chunks:?}");
            assert_eq!(tail, whole_tail, "observe tail, chunks {chunks:?}");
            let (out, events, tail) = filter(&chunks, keep);
            assert_eq!(events, expected, "filter events, chunks {chunks:?}");
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&whole_out),
                "filter bytes, chunks {chunks:?}"
            );
            assert_eq!(tail, whole_tail, "filter tail, chunks {chunks:?}");
        }
        whole_out
    }

    fn keep_all(_: &Event<'_>) -> bool {
        true
    }

    fn drop_named_drop(event: &Event<'_>) -> bool {
        event.name != Some("drop")
    }

    #[test]
    fn basic_fields() {
        let input = b"event: a\ndata: 1\nid: 7\nretry: 3000\n\ndata:2\n\n";
        let (events, tail) = observe(&[input]);
        assert_eq!(
            events,
            [
                Owned {
                    name: Some("a".into()),
                    data: b"1".to_vec(),
                    id: Some(b"7".to_vec()),
                    retry: Some(3000),
                },
                owned(None, "2"),
            ]
        );
        assert!(tail.is_empty());
        check_all_splits(input, keep_all);
    }

    #[test]
    fn only_one_space_is_stripped_and_fieldless_lines_count() {
        let input = b"data:  two spaces\n\ndata\n\ndata:\ndata:\n\nevent:\ndata: x\n\n";
        assert_eq!(
            observe(&[input]).0,
            [
                owned(None, " two spaces"),
                owned(None, ""),
                owned(None, "\n"),
                owned(None, "x"),
            ]
        );
        check_all_splits(input, keep_all);
    }

    #[test]
    fn multi_line_data_joins_with_newline() {
        let input = b"event: m\ndata: {\"a\":\ndata: 1}\ndata:\n\n";
        assert_eq!(observe(&[input]).0, [owned(Some("m"), "{\"a\":\n1}\n")]);
        check_all_splits(input, drop_named_drop);
    }

    #[test]
    fn crlf_and_cr_line_ends() {
        let lf = b"event: a\ndata: 1\n\n: c\ndata: 2\ndata: 3\n\n".to_vec();
        let crlf = b"event: a\r\ndata: 1\r\n\r\n: c\r\ndata: 2\r\ndata: 3\r\n\r\n".to_vec();
        let cr = b"event: a\rdata: 1\r\r: c\rdata: 2\rdata: 3\r\r".to_vec();
        let mixed = b"event: a\r\ndata: 1\n\r: c\rdata: 2\r\ndata: 3\n\r\n".to_vec();
        let expected = [owned(Some("a"), "1"), owned(None, "2\n3")];
        for input in [lf, crlf, cr, mixed] {
            assert_eq!(observe(&[&input]).0, expected);
            assert_eq!(check_all_splits(&input, keep_all), input);
        }
    }

    #[test]
    fn a_cr_then_lf_in_the_next_chunk_is_one_line_end() {
        // Without the pending-LF rule the `\n` would read as a blank line and dispatch early.
        let (events, tail) = observe(&[b"data: 1\r", b"\ndata: 2\r\n\r", b"\n"]);
        assert_eq!(events, [owned(None, "1\n2")]);
        assert!(tail.is_empty());
        // The `\n` completing a dropped event's blank line is dropped with it.
        let (out, _, _) = filter(
            &[b"event: drop\ndata: 1\r\n\r", b"\ndata: 2\r\n\r", b"\n"],
            drop_named_drop,
        );
        assert_eq!(out, b"data: 2\r\n\r\n");
    }

    #[test]
    fn comments_and_events_without_data_dispatch_nothing() {
        let input = b": keep-alive\n\nevent: lonely\n\n:x\nid: 1\n\n\n\ndata: y\n\n";
        assert_eq!(observe(&[input]).0, [owned(None, "y")]);
        // Filter mode forwards what it did not drop, comments included.
        assert_eq!(check_all_splits(input, drop_named_drop), input);
    }

    #[test]
    fn a_leading_bom_is_skipped_but_forwarded() {
        let input = b"\xEF\xBB\xBFdata: 1\n\nevent: drop\ndata: 2\n\n";
        assert_eq!(
            observe(&[input]).0,
            [owned(None, "1"), owned(Some("drop"), "2")]
        );
        assert_eq!(
            check_all_splits(input, drop_named_drop),
            b"\xEF\xBB\xBFdata: 1\n\n"
        );
        // Dropping the first event keeps the BOM.
        let input = b"\xEF\xBB\xBFevent: drop\ndata: 2\n\ndata: 1\n\n";
        assert_eq!(
            check_all_splits(input, drop_named_drop),
            b"\xEF\xBB\xBFdata: 1\n\n"
        );
        // Only one BOM is skipped, and only at the start.
        let input = b"\xEF\xBB\xBF\xEF\xBB\xBFdata: 1\n\n";
        assert!(observe(&[input]).0.is_empty());
        check_all_splits(input, keep_all);
        // A BOM prefix that goes wrong is data of the first line.
        let input = b"\xEF\xBBdata: 1\n\n\xEF\xBB\xBFdata: 2\n\n";
        assert!(observe(&[input]).0.is_empty());
        check_all_splits(input, keep_all);
    }

    #[test]
    fn id_with_nul_and_bad_retry_are_ignored() {
        let input = b"id: a\0b\nretry: 12x\ndata: 1\n\nretry: 99999999999999999999999\ndata: 2\n\n";
        let events = observe(&[input]).0;
        assert_eq!(events, [owned(None, "1"), owned(None, "2")]);
        check_all_splits(input, keep_all);
    }

    #[test]
    fn unterminated_final_event_is_not_dispatched() {
        let (events, tail) = observe(&[b"data: 1\n\ndata: 2\n"]);
        assert_eq!(events, [owned(None, "1")]);
        assert_eq!(tail, b"data: 2\n");
        // Filter mode holds it back; `finish` hands it over.
        let (out, _, tail) = filter(&[b"data: 1\n\nda", b"ta: 2"], keep_all);
        assert_eq!(out, b"data: 1\n\n");
        assert_eq!(tail, b"data: 2");
        // The splitter is reusable after `finish`.
        let mut splitter = Splitter::new();
        splitter.feed(b"\xEF\xBB", |_| {});
        assert_eq!(splitter.pending_len(), 2);
        assert_eq!(splitter.finish(), b"\xEF\xBB");
        let mut seen = Vec::new();
        splitter.feed(b"\xEF\xBB\xBFdata: z\n\n", |event| {
            seen.push(Owned::from(event));
        });
        assert_eq!(seen, [owned(None, "z")]);
    }

    #[test]
    fn single_chunk_events_borrow_from_the_chunk() {
        let chunk = b"event: e\ndata: payload\n\n";
        let range = chunk.as_ptr_range();
        let mut splitter = Splitter::new();
        let mut borrowed = false;
        splitter.feed(chunk, |event| {
            borrowed = range.contains(&event.data.as_ptr());
        });
        assert!(borrowed);
    }

    #[test]
    fn filter_spans_point_into_the_chunk_when_nothing_is_held() {
        let mut splitter = Splitter::new();
        let mut spans = Vec::new();
        let chunk = b"data: a\n\nevent: drop\ndata: b\n\ndata: c\n\ndata: d";
        splitter.filter(chunk, drop_named_drop, |span| {
            spans.push(match span {
                Span::Held(bytes) => Err(bytes.to_vec()),
                Span::Chunk(range) => Ok(range),
            });
        });
        assert_eq!(spans, [Ok(0..9), Ok(30..39)]);
        let mut spans = Vec::new();
        splitter.filter(b"\n\n", keep_all, |span| {
            spans.push(match span {
                Span::Held(bytes) => Err(bytes.to_vec()),
                Span::Chunk(range) => Ok(range),
            });
        });
        assert_eq!(spans, [Err(b"data: d".to_vec()), Ok(0..2)]);
    }

    #[test]
    fn random_streams_match_the_reference() {
        // Generated streams mixing every line end, field, comment and stray blank lines.
        let pieces: [&[u8]; 16] = [
            b"data: x",
            b"data:y",
            b"data",
            b"event: drop",
            b"event: keep",
            b"event:",
            b": comment",
            b":",
            b"id: 9",
            b"retry: 10",
            b"bogus: 1",
            b"data: {\"k\": \"v:w\"}",
            b"",
            b"",
            b"",
            b"data: \xEF\xBB\xBF",
        ];
        let ends: [&[u8]; 3] = [b"\n", b"\r\n", b"\r"];
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200 {
            let mut input = Vec::new();
            if next() % 4 == 0 {
                input.extend_from_slice(BOM);
            }
            for _ in 0..(next() % 20) {
                input.extend_from_slice(pieces[(next() % 16) as usize]);
                input.extend_from_slice(ends[(next() % 3) as usize]);
            }
            if next() % 3 == 0 {
                input.extend_from_slice(b"data: tail");
            }
            let (events, _) = observe(&[&input]);
            assert_eq!(
                events,
                reference(&input),
                "{:?}",
                String::from_utf8_lossy(&input)
            );
            // Only the cheap splits here: all cut points of 200 inputs are covered elsewhere.
            let (whole, _, _) = filter(&[&input], drop_named_drop);
            for chunks in [
                input.chunks(1).collect::<Vec<_>>(),
                input.chunks(3).collect(),
            ] {
                assert_eq!(observe(&chunks).0, events);
                assert_eq!(filter(&chunks, drop_named_drop).0, whole);
            }
            // Keeping everything forwards the input, less the unfinished tail `finish` returns.
            let (mut forwarded, _, tail) = filter(&[&input], keep_all);
            forwarded.extend_from_slice(&tail);
            assert_eq!(forwarded, input);
        }
    }
}
