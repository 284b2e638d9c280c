//! A tiny HTTP/1.1 server for tests: one per test, on a free loopback port, recording
//! every request so the test can check what the binary sent.
//!
//! Written on `std::net` rather than a framework so that a fake can misbehave exactly
//! like a flaky network does: close the connection without answering, or announce a
//! body and cut it short. Requests the handler did not expect make the test fail when
//! the server is dropped, with the request that nobody expected.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path with query, as sent.
    pub target: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (chunked bodies are decoded).
    pub body: Vec<u8>,
    /// Which connection (0-based, in accept order) carried it.
    pub connection: usize,
}

impl Request {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query string without `?` (empty when none).
    pub fn query(&self) -> &str {
        self.target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default()
    }

    /// A query parameter's raw (still percent-encoded) value.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query().split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then_some(v)
        })
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// What the server sends back.
pub enum Reply {
    /// A normal response.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Body,
    },
    /// Close the connection without a response.
    Close,
    /// Announce `Content-Length: announced`, send `body`, then close.
    Truncated {
        status: u16,
        headers: Vec<(String, String)>,
        announced: u64,
        body: Vec<u8>,
    },
    /// Answer 599 and fail the test when the server is dropped.
    Unexpected,
}

/// A response body.
pub enum Body {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file streamed from disk (for large artifacts).
    File(PathBuf),
}

impl Reply {
    /// A response with a body.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: Body::Bytes(body.into()),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Reply::new(status, serde_json::to_vec(value).unwrap())
            .header("content-type", "application/json; charset=utf-8")
    }

    /// A file streamed from disk.
    pub fn file(status: u16, path: impl Into<PathBuf>) -> Self {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: Body::File(path.into()),
        }
    }

    /// A redirect.
    pub fn redirect(status: u16, location: &str) -> Self {
        Reply::new(status, Vec::new()).header("location", location)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Full { headers, .. } | Reply::Truncated { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; it stops accepting when dropped.
pub struct Server {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    unexpected: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts a server whose every request goes to `handler`.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_on(0, handler)
    }

    /// Starts a server on loopback port `port` (0: any free one).
    pub fn start_on(
        port: u16,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let unexpected = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (reqs, unexp) = (requests.clone(), unexpected.clone());
        thread::spawn(move || {
            for (connection, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let (handler, reqs, unexp) = (handler.clone(), reqs.clone(), unexp.clone());
                thread::spawn(move || serve(stream, connection, &*handler, &reqs, &unexp));
            }
        });
        Self {
            addr,
            requests,
            unexpected,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let unexpected = self.unexpected.lock().unwrap();
        assert!(
            unexpected.is_empty() || thread::panicking(),
            "the fake server got requests nobody expected: {unexpected:#?}"
        );
    }
}

fn serve(
    stream: TcpStream,
    connection: usize,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    unexpected: &Mutex<Vec<String>>,
) {
    // Head and body are separate writes: without this, Nagle's algorithm and delayed
    // ACKs add ~40 ms to every response.
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader, &mut writer, connection) {
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        requests.lock().unwrap().push(request.clone());
        let reply = handler(&request);
        let keep = match reply {
            Reply::Full {
                status,
                headers,
                body,
            } => write_full(&mut writer, status, &headers, body).is_ok(),
            Reply::Close => false,
            Reply::Truncated {
                status,
                headers,
                announced,
                body,
            } => {
                let _ = write_head(&mut writer, status, &headers, announced)
                    .and_then(|()| writer.write_all(&body));
                false
            }
            Reply::Unexpected => {
                unexpected
                    .lock()
                    .unwrap()
                    .push(format!("{} {}", request.method, request.target));
                write_full(
                    &mut writer,
                    599,
                    &[],
                    Body::Bytes(b"unexpected request".to_vec()),
                )
                .is_ok()
            }
        };
        if !keep || close {
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

fn read_request(
    reader: &mut impl BufRead,
    writer: &mut TcpStream,
    connection: usize,
) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok().filter(|n| *n > 0)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
        connection,
    };
    if request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    if request
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        request.body = read_chunked(reader)?;
    } else if let Some(length) = request
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        request.body = body;
    }
    Some(request)
}

fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        if size == 0 {
            let mut trailer = String::new();
            while reader.read_line(&mut trailer).ok()? > 2 {
                trailer.clear();
            }
            return Some(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).ok()?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf).ok()?;
    }
}

fn write_head(
    writer: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    length: u64,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "content-length: {length}\r\n\r\n");
    writer.write_all(head.as_bytes())
}

fn write_full(
    writer: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    body: Body,
) -> std::io::Result<()> {
    match body {
        Body::Bytes(bytes) => {
            write_head(writer, status, headers, bytes.len() as u64)?;
            writer.write_all(&bytes)
        }
        Body::File(path) => {
            let mut file = std::fs::File::open(path)?;
            write_head(writer, status, headers, file.metadata()?.len())?;
            std::io::copy(&mut file, writer).map(|_| ())
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
