//! The MCP server's stdio, line by line, so that every request gets an answer: a
//! line that is not JSON, holds a lone surrogate, nests deeper than 128 levels or is
//! longer than [`MAX_LINE_BYTES`] is answered with a JSON-RPC error (its id when it
//! can be found, else `null`) instead of being dropped in silence, and the server
//! only ever sees lines it can read. Answers and errors go out one whole line at a
//! time.

use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::sync::mpsc;

/// Longest request line read; a longer one is answered with an error and skipped.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// The JSON-RPC error answering an unreadable line: `-32700` for what is not JSON,
/// `-32600` for JSON no server can take (too deep, too long).
fn error_line(id: Option<serde_json::Value>, code: i64, message: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.unwrap_or(serde_json::Value::Null),
        "error": {"code": code, "message": message},
    })
    .to_string()
}

/// The request id of a line that does not parse, when it is plainly there
/// (`"id": 7` or `"id": "abc"`); `None` otherwise.
fn id_of(line: &[u8]) -> Option<serde_json::Value> {
    let text = String::from_utf8_lossy(line.get(..line.len().min(4096))?);
    let at = text.find("\"id\"")?;
    let rest = text[at + 4..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        let end = s.find('"')?;
        return Some(serde_json::Value::String(s[..end].to_owned()));
    }
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse::<i64>().ok().map(serde_json::Value::from)
}

/// What to do with one complete line: hand it on, or answer it with this error.
fn check(line: &[u8]) -> Result<(), String> {
    // Parsed as the server will (strings checked, serde_json's nesting limit of 128).
    serde_json::from_slice::<serde_json::Value>(line)
        .map(|_| ())
        .map_err(|e| {
            let deep = e.to_string().contains("recursion limit");
            let (code, what) = if deep {
                (-32600, "invalid request: nested deeper than 128 levels")
            } else {
                (-32700, "parse error")
            };
            error_line(id_of(line), code, &format!("{what}: {e}"))
        })
}

/// Reads request lines from `input`: readable ones go to `server` (with their
/// newline), the others are answered through `out`. Ends at the input's end (the
/// server then sees its own input end) or when the server is gone.
pub async fn read_requests(
    input: impl AsyncRead + Unpin,
    mut server: impl AsyncWrite + Unpin,
    out: mpsc::UnboundedSender<String>,
) {
    let mut input = BufReader::new(input);
    let mut line: Vec<u8> = Vec::new();
    let mut too_long = false;
    while let Ok(chunk) = input.fill_buf().await {
        if chunk.is_empty() {
            break;
        }
        let (part, done) = match memchr::memchr(b'\n', chunk) {
            Some(k) => (&chunk[..k], Some(k + 1)),
            None => (chunk, None),
        };
        if !too_long {
            if line.len() + part.len() > MAX_LINE_BYTES {
                too_long = true;
                // The id, if it is near the start, is kept for the answer.
                line.truncate(4096);
            } else {
                line.extend_from_slice(part);
            }
        }
        let used = done.unwrap_or(chunk.len());
        input.consume(used);
        if done.is_none() {
            continue;
        }
        if too_long {
            let _ = out.send(error_line(
                id_of(&line),
                -32600,
                &format!("invalid request: longer than {MAX_LINE_BYTES} bytes"),
            ));
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            match check(&line) {
                Ok(()) => {
                    line.push(b'\n');
                    if server.write_all(&line).await.is_err() || server.flush().await.is_err() {
                        break;
                    }
                }
                Err(answer) => {
                    let _ = out.send(answer);
                }
            }
        }
        line.clear();
        too_long = false;
    }
    let _ = server.shutdown().await;
}

/// Hands the server's answer lines to `out`, until the server ends.
pub async fn read_answers(server: impl AsyncRead + Unpin, out: mpsc::UnboundedSender<String>) {
    let mut lines = BufReader::new(server).lines();
    while let Ok(Some(l)) = lines.next_line().await {
        if out.send(l).is_err() {
            break;
        }
    }
}

/// Writes every line sent to `lines` to `output`, whole, until all senders are gone.
pub async fn write_lines(
    mut lines: mpsc::UnboundedReceiver<String>,
    mut output: impl AsyncWrite + Unpin,
) {
    while let Some(l) = lines.recv().await {
        if output.write_all(l.as_bytes()).await.is_err()
            || output.write_all(b"\n").await.is_err()
            || output.flush().await.is_err()
        {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{check, id_of};

    #[test]
    fn unreadable_lines_are_answered_with_their_id() {
        let surrogate = br#"{"jsonrpc":"2.0","id":5,"method":"x","params":{"a":"\ud800"}}"#;
        let e = check(surrogate).expect_err("a lone surrogate");
        assert!(e.contains("\"id\":5") && e.contains("-32700"), "{e}");
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":"q","params":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let e = check(deep.as_bytes()).expect_err("too deep");
        assert!(e.contains("\"id\":\"q\""), "{e}");
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).is_ok());
        assert_eq!(id_of(b"not json"), None);
    }
}
