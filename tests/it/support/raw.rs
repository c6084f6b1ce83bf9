//! Hand-written TCP servers for answers wiremock cannot give: a body that never
//! ends, and a server that accepts a connection and never answers. Each serves on
//! its own thread until the test binary exits.

use std::io::{Read, Write};
use std::net::TcpListener;

/// `http://127.0.0.1:PORT`: every request is answered 200 with a body of endless
/// `[` characters (no length, so the body ends only when the connection does).
pub fn endless_body() -> String {
    serve(|mut stream| {
        read_request(&mut stream);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = vec![b'['; 64 * 1024];
        while stream.write_all(&chunk).is_ok() {}
    })
}

/// `http://127.0.0.1:PORT`: accepts every connection, reads the request, never
/// answers (the connection stays open until the client gives up).
pub fn silent() -> String {
    serve(|mut stream| {
        read_request(&mut stream);
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    })
}

fn serve(handle: fn(std::net::TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || handle(stream));
        }
    });
    uri
}

/// Reads up to the end of the request head (the requests here have no body).
fn read_request(stream: &mut std::net::TcpStream) {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => return,
        }
    }
}
