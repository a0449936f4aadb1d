//! `send` never hangs: SMTP servers that trickle their greeting, never
//! answer the final dot, or answer garbage (plain TCP servers in the test)
//! give an error in words, exit 1 with everyone unfinished pending, and a
//! second `send` against a working server resumes.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::smtp::{subscribers_yaml, SmtpServer};
use common::Postbode;

const WEEK: [&str; 5] = ["send", "--since", "2026-11-16", "--until", "2026-11-23"];

fn config(port: u16) -> String {
    format!(
        r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{{token}}"

[delivery]
transport = "smtp"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
connections = 2
timeout_secs = 2
data_timeout_secs = 3
max_retries = 1
"#
    )
}

/// A server on a loopback port that runs `talk` on each connection, in a
/// thread of its own.
fn server(talk: fn(TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || talk(stream));
        }
    });
    port
}

/// Sends `220 …` one byte a second.
fn trickle_greeting(mut stream: TcpStream) {
    for b in b"220 slow.example ESMTP at your service, eventually\r\n" {
        if stream.write_all(&[*b]).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// A well-behaved server up to the final dot, then silence.
fn silent_after_the_dot(stream: TcpStream) {
    let mut out = stream.try_clone().unwrap();
    let mut lines = BufReader::new(stream);
    let _ = out.write_all(b"220 quiet.example ESMTP\r\n");
    let mut in_data = false;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if in_data {
            if line == ".\r\n" {
                // Never answer; hold the connection until the client goes.
                in_data = false;
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-quiet.example\r\n250 8BITMIME\r\n",
            "DATA" => {
                in_data = true;
                b"354 go ahead\r\n"
            }
            "QUIT" => b"221 bye\r\n",
            _ => b"250 ok\r\n",
        };
        let _ = out.write_all(reply);
    }
}

/// Answers like a web server.
fn garbage(mut stream: TcpStream) {
    let _ = stream.write_all(
        b"HTTP/1.1 400 Bad Request\r\nServer: not-a-mail-server/1.0\r\nContent-Length: 0\r\nX-Padding: 0123456789\r\n\r\n",
    );
    std::thread::sleep(Duration::from_secs(5));
}

/// Runs `send` against `port`, expects exit 1 with `words` in the error and
/// all 5 recipients pending, then resumes against a working server.
fn stops_in_words_then_resumes(port: u16, words: &str) -> String {
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&config(port))
        .file("subscribers/subscribers.yaml", subscribers_yaml(5, &[]))
        .args(WEEK);
    let start = Instant::now();
    let run = pb.fails(1);
    let took = start.elapsed();
    assert!(run.stderr.contains(words), "{}", run.stderr);
    assert!(
        run.stderr.contains("5 recipients are still pending"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("stopping after 2 timeouts or lost connections in a row"),
        "{}",
        run.stderr
    );
    assert!(
        took < Duration::from_secs(20),
        "the run took {took:?}: {}",
        run.stderr
    );

    let good = SmtpServer::start(Default::default());
    let pb = pb.config(&config(good.port)).args(["send"]);
    let run = pb.succeeds();
    assert!(run.stderr.contains("resuming edition"), "{}", run.stderr);
    assert_eq!(good.per_recipient().len(), 5);
    run.stderr
}

#[test]
fn a_trickled_greeting_times_out() {
    let port = server(trickle_greeting);
    stops_in_words_then_resumes(
        port,
        &format!("`127.0.0.1:{port}` timed out after 2 s waiting for the server's greeting"),
    );
}

#[test]
fn a_server_that_never_answers_the_final_dot_times_out() {
    let port = server(silent_after_the_dot);
    stops_in_words_then_resumes(
        port,
        "timed out after 3 s waiting for the reply to the message's final dot",
    );
}

#[test]
fn a_garbage_reply_is_quoted() {
    let port = server(garbage);
    // The first 80 bytes, escaped, and not one more.
    stops_in_words_then_resumes(
        port,
        &format!(
            r"waiting for the server's greeting, `127.0.0.1:{port}` sent something that is not SMTP: `HTTP/1.1 400 Bad Request\r\nServer: not-a-mail-server/1.0\r\nContent-Length: 0\r\nX-Pa`"
        ),
    );
}
