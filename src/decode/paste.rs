//! What terminals, log pipelines and people do to trace text before it reaches a file,
//! undone before its format is sniffed: terminal colour codes, a collector that logs
//! as JSON (`encoding: json`: the debug exporter's text inside each line's `msg`), and
//! lines before the trace data (a shell prompt, the `grep` or `kubectl` command line).
//! Binary input is left alone; each change is said in a note.

use std::borrow::Cow;

/// The input with paste damage undone, and a note for each kind of change.
pub fn clean(buf: Vec<u8>) -> (Vec<u8>, Vec<String>) {
    let mut notes = Vec::new();
    if !is_text(&buf) {
        return (buf, notes);
    }
    let mut buf = buf;
    if let Cow::Owned(stripped) = strip_ansi(&buf) {
        buf = stripped;
        notes.push("removed terminal colour codes".to_owned());
    }
    if let Some((text, lines)) = unwrap_json_logs(&buf) {
        buf = text;
        notes.push(format!(
            "read the debug exporter's text out of the `msg` of {lines} JSON log lines"
        ));
    }
    if let Some((at, lines)) = leading_noise(&buf) {
        buf.drain(..at);
        notes.push(format!(
            "skipped {lines} line{} before the trace data (a shell prompt or command line?)",
            if lines == 1 { "" } else { "s" }
        ));
    }
    (buf, notes)
}

/// Mostly printable UTF-8 in its first 4 KiB (protobuf and other binary is not).
fn is_text(buf: &[u8]) -> bool {
    let head = &buf[..buf.len().min(4096)];
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    // A multi-byte character cut at the end of the head is still text.
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.valid_up_to() + 4 >= head.len(),
    }
}

/// `buf` without terminal escape sequences (`ESC [ … letter`, `ESC ] … BEL`).
fn strip_ansi(buf: &[u8]) -> Cow<'_, [u8]> {
    if !buf.contains(&0x1b) {
        return Cow::Borrowed(buf);
    }
    let mut out = Vec::with_capacity(buf.len());
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == 0x1b {
            match buf.get(i + 1) {
                Some(b'[') => {
                    i += 2;
                    while i < buf.len() && !buf[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    i += 1;
                    continue;
                }
                Some(b']') => {
                    i += 2;
                    while i < buf.len() && buf[i] != 0x07 && buf[i] != 0x1b {
                        i += 1;
                    }
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        out.push(buf[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// A collector's JSON logs with the debug exporter's text inside: each line's `msg`
/// (or `message`) joined, with how many lines gave one; `None` when `buf` is not that.
fn unwrap_json_logs(buf: &[u8]) -> Option<(Vec<u8>, usize)> {
    let head = String::from_utf8_lossy(&buf[..buf.len().min(256 * 1024)]);
    let first = head.lines().find(|l| !l.trim().is_empty())?.trim_start();
    if !first.starts_with('{')
        || !(head.contains("\"msg\"") || head.contains("\"message\""))
        || !head.contains("ResourceSpans #")
    {
        return None;
    }
    let text = String::from_utf8_lossy(buf);
    let mut out = String::with_capacity(buf.len());
    let mut lines = 0;
    for line in text.lines() {
        let msg = serde_json::from_str::<serde_json::Value>(line.trim())
            .ok()
            .and_then(|v| {
                v.get("msg")
                    .or_else(|| v.get("message"))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            });
        match msg {
            Some(m) => {
                lines += 1;
                out.push_str(&m);
            }
            // Anything else (another container's text) stays as it is.
            None => out.push_str(line),
        }
        out.push('\n');
    }
    (lines > 0).then(|| (out.into_bytes(), lines))
}

/// Where JSON trace data starts after lines that are not trace data, and how many
/// lines come before it; `None` when the input starts with its data (or is a text
/// format that skips such lines itself).
fn leading_noise(buf: &[u8]) -> Option<(usize, usize)> {
    let first = buf.iter().position(|b| !b.is_ascii_whitespace())?;
    if matches!(buf[first], b'{' | b'[') || super::debug_text::looks_like(buf) {
        return None;
    }
    // The first line that starts a JSON value, within the first 64 KiB.
    let limit = buf.len().min(64 * 1024);
    let mut at = 0;
    let mut lines = 0;
    while at < limit {
        let end = buf[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(buf.len(), |p| at + p + 1);
        let line = &buf[at..end];
        let trimmed = line.iter().position(|b| !b.is_ascii_whitespace());
        if let Some(t) = trimmed
            && matches!(line[t], b'{' | b'[')
            && lines > 0
        {
            // Only when what follows names spans: a text file with a bracket in it
            // stays a text file.
            let rest = String::from_utf8_lossy(&buf[at..buf.len().min(at + 64 * 1024)]);
            let spans = [
                "resourceSpans",
                "resource_spans",
                "traceId",
                "trace_id",
                "traceID",
            ];
            return spans
                .iter()
                .any(|k| rest.contains(k))
                .then_some((at, lines));
        }
        if trimmed.is_some() {
            lines += 1;
        }
        at = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn colours_json_logs_and_prompts_are_undone() {
        let (b, n) = clean(b"\x1b[32m-> a: Str(b)\x1b[0m\n".to_vec());
        assert_eq!(b, b"-> a: Str(b)\n");
        assert_eq!(n.len(), 1);
        let logs = br#"{"level":"info","msg":"TracesExporter"}
{"level":"info","msg":"ResourceSpans #0\nSpan #0"}
"#;
        let (b, n) = clean(logs.to_vec());
        assert_eq!(
            String::from_utf8_lossy(&b),
            "TracesExporter\nResourceSpans #0\nSpan #0\n"
        );
        assert!(n[0].contains("2 JSON log lines"), "{n:?}");
        let (b, n) = clean(b"$ cat dump.json\n{\"resourceSpans\": []}\n".to_vec());
        let (same, none) = clean(b"# notes\n[link]\n".to_vec());
        assert_eq!(
            (same.as_slice(), none.len()),
            (&b"# notes\n[link]\n"[..], 0)
        );
        assert_eq!(b, b"{\"resourceSpans\": []}\n");
        assert!(n[0].contains("skipped 1 line"), "{n:?}");
        let pb = vec![0x0a, 0x00, 0x12, 0x1b];
        assert_eq!(clean(pb.clone()), (pb, Vec::new()));
    }
}
