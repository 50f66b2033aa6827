//! The server's behaviour, on small components written as text and on the service's own.

use super::workers::{serve_with, Handler, Options};
use crate::HEADER_TIMEOUT;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A component exporting `wasi:http/incoming-handler@0.2.0` whose handler reads the
/// request's method and then runs `on_get` for GET and `otherwise` for the others
/// (core wasm instructions); it never sets a response. Versions older than the
/// host's on purpose: the host must link them as runwasi's does.
fn handler(on_get: &str, otherwise: &str) -> Vec<u8> {
    let text = include_str!("../testdata/handler.wat")
        .replace("ON_GET", on_get)
        .replace("OTHERWISE", otherwise);
    wat::parse_str(text).unwrap()
}

const LOOP: &str = "(loop $forever (br $forever))";
const TRAP: &str = "unreachable";
const RETURN: &str = "nop";

/// A server on a loopback port, on a runtime with one thread: a guest that never
/// yielded would starve everything else on it.
struct Server {
    addr: SocketAddr,
    handler: Arc<Handler>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const GRACE: Duration = Duration::from_secs(4);

impl Server {
    fn start(wasm: &[u8], timeout: Duration) -> Self {
        Self::reusing(wasm, timeout, 1)
    }

    fn reusing(wasm: &[u8], timeout: Duration, reuse: usize) -> Self {
        Self::with(wasm, timeout, reuse, 1)
    }

    /// Instances reused for up to `reuse` requests, `at_once` at a time (0.3 only).
    fn with(wasm: &[u8], timeout: Duration, reuse: usize, at_once: usize) -> Self {
        let mut config = wasmtime::Config::new();
        crate::configure(&mut config);
        let engine = wasmtime::Engine::new(&config).unwrap();
        let component = wasmtime::component::Component::new(&engine, wasm).unwrap();
        let pre = crate::pre_instantiate(&engine, &component).unwrap();
        let options = Options {
            timeout,
            reuse,
            at_once,
            args: vec![],
            env: vec![],
            grace: GRACE,
            name: "test",
        };
        let handler = Handler::new(pre, options);
        let (addr_sender, addr) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = handler.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = crate::listen("127.0.0.1:0".parse().unwrap(), 16).unwrap();
                addr_sender.send(listener.local_addr().unwrap()).unwrap();
                let stopped = async {
                    let _ = stopped.await;
                };
                serve_with(listener, served, stopped).await.unwrap();
            });
        });
        Self {
            addr: addr.recv().unwrap(),
            handler,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops the server as SIGTERM does; how long it took to be gone.
    fn stop(mut self) -> Duration {
        let start = Instant::now();
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap();
        start.elapsed()
    }
}

/// `method /path` on a connection of its own: the response's status and body.
fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

#[test]
fn a_guest_looping_past_its_deadline_gets_504_while_others_are_served() {
    // With a fresh instance per request and with instances reused.
    for reuse in [1, 100] {
        let deadline = Duration::from_millis(600);
        let server = Server::reusing(&handler(LOOP, TRAP), deadline, reuse);
        let addr = server.addr;
        let start = Instant::now();
        let loopers: Vec<_> = (0..3)
            .map(|_| std::thread::spawn(move || (request(addr, "GET", "/"), start.elapsed())))
            .collect();
        std::thread::sleep(Duration::from_millis(100));

        // Beside three looping guests, on the server's only thread: a trap is a 500 at
        // once, not after the loops' deadlines.
        let (status, body) = request(addr, "POST", "/");
        assert_eq!(
            (status, body.as_str()),
            (500, "500 Internal Server Error\n"),
            "reuse {reuse}"
        );
        assert!(
            start.elapsed() < deadline,
            "reuse {reuse}: {:?}",
            start.elapsed()
        );

        // Each looping guest is stopped at its own deadline, not one after the other.
        for looper in loopers {
            let ((status, body), took) = looper.join().unwrap();
            assert_eq!(
                (status, body.as_str()),
                (504, "504 Gateway Timeout\n"),
                "reuse {reuse}"
            );
            assert!(
                took >= deadline && took < deadline * 2,
                "reuse {reuse}: {took:?}"
            );
        }
        // And the server goes on serving.
        assert_eq!(request(addr, "POST", "/").0, 500, "reuse {reuse}");
        server.stop();
    }
}

#[test]
fn a_guest_that_sets_no_response_gets_500() {
    let server = Server::start(&handler(RETURN, TRAP), Duration::from_secs(5));
    assert_eq!(request(server.addr, "GET", "/").0, 500);
    assert_eq!(request(server.addr, "GET", "/").0, 500);
    server.stop();
}

/// Grows the guest's memory until the host refuses (`memory.grow` gives -1), then traps,
/// as a guest whose allocator runs out aborts.
const GROW_THEN_TRAP: &str = "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 256)) \
     (i32.const -1)))) unreachable";

#[test]
fn a_guest_out_of_memory_gets_500_and_the_server_goes_on() {
    for reuse in [1, 100] {
        let server = Server::reusing(
            &handler(GROW_THEN_TRAP, RETURN),
            Duration::from_secs(20),
            reuse,
        );
        assert_eq!(
            request(server.addr, "GET", "/"),
            (500, "500 Internal Server Error\n".into())
        );
        assert_eq!(request(server.addr, "POST", "/").0, 500, "reuse {reuse}");
        assert_eq!(request(server.addr, "GET", "/").0, 500, "reuse {reuse}");
        server.stop();
    }
}

#[test]
fn a_stop_closes_idle_connections_at_once() {
    let server = Server::start(&handler(RETURN, TRAP), Duration::from_secs(5));
    let _idle = TcpStream::connect(server.addr).unwrap();
    let mut kept_alive = TcpStream::connect(server.addr).unwrap();
    write!(kept_alive, "GET / HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let mut answered = [0; 12];
    kept_alive.read_exact(&mut answered).unwrap();
    assert_eq!(&answered, b"HTTP/1.1 500");
    let took = server.stop();
    assert!(took < Duration::from_millis(500), "{took:?}");
}

#[test]
fn a_request_head_never_finished_is_dropped_at_the_header_timeout() {
    let server = Server::start(&handler(RETURN, TRAP), Duration::from_secs(5));
    let mut stalled = TcpStream::connect(server.addr).unwrap();
    let start = Instant::now();
    write!(stalled, "GET / HTTP/1.1\r\nHost: te").unwrap();
    stalled.set_read_timeout(Some(HEADER_TIMEOUT * 2)).unwrap();
    // Closed (hyper answers 408 first or not at all), not left open.
    let mut answer = Vec::new();
    let _ = stalled.read_to_end(&mut answer);
    let took = start.elapsed();
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        took >= HEADER_TIMEOUT && took < HEADER_TIMEOUT + Duration::from_secs(1),
        "{took:?}"
    );
    server.stop();
}

#[test]
fn a_stop_ends_within_the_grace_whatever_clients_do() {
    let server = Server::start(&handler(LOOP, TRAP), Duration::from_secs(30));
    // A request head that is never finished, and a guest that never finishes.
    let mut half_sent = TcpStream::connect(server.addr).unwrap();
    write!(half_sent, "GET / HTTP/1.1\r\nHost: te").unwrap();
    let mut looping = TcpStream::connect(server.addr).unwrap();
    write!(looping, "GET / HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // The grace period, then the runtime's teardown: within the 5 s promised.
    let took = server.stop();
    assert!(took >= GRACE && took < Duration::from_secs(5), "{took:?}");
}

/// The service's wasm32-wasip2 build, served as the shim serves it.
#[test]
fn the_service_component_answers_its_routes() {
    let wasm = service_component();
    let server = Server::start(&wasm, Duration::from_secs(5));
    let (status, body) = request(server.addr, "GET", "/api/time");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with('{') && body.contains("\"moscow_time\""),
        "{body}"
    );
    let (status, body) = request(server.addr, "GET", "/");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<html"), "{body}");
    assert_eq!(request(server.addr, "GET", "/nowhere").0, 404);
    server.stop();
}

/// The service's wasm32-wasip2 build (`make build`), or `WASI_HTTP_COMPONENT`.
fn service_component() -> Vec<u8> {
    built("WASI_HTTP_COMPONENT", "dist")
}

/// The service's wasi:http@0.3 build (`make build`), or `WASI_HTTP_P3_COMPONENT`.
fn service_p3_component() -> Vec<u8> {
    built("WASI_HTTP_P3_COMPONENT", "dist-p3")
}

fn built(variable: &str, profile: &str) -> Vec<u8> {
    let path = std::env::var_os(variable).map_or_else(
        || {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
                "../target/wasm32-wasip2/{profile}/moscow-time.wasm"
            ))
        },
        std::path::PathBuf::from,
    );
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; `make build` builds it", path.display()))
}

/// The same routes from the 0.3 build, fresh and from instances taking several requests
/// at once.
#[test]
fn the_service_p3_component_answers_its_routes() {
    let wasm = service_p3_component();
    for (reuse, at_once) in [(1, 1), (100, 16)] {
        let server = Server::with(&wasm, Duration::from_secs(5), reuse, at_once);
        let (status, body) = request(server.addr, "GET", "/api/time");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"moscow_time\""), "{body}");
        let (status, body) = request(server.addr, "GET", "/");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("<html"), "{body}");
        assert_eq!(request(server.addr, "HEAD", "/").0, 200);
        assert_eq!(request(server.addr, "GET", "/nowhere").0, 404);
        assert_eq!(request(server.addr, "POST", "/api/time").0, 405);
        server.stop();
    }
}

/// Clients at once, each with its own kept-alive connection: every request answered,
/// and the most any instance took at once.
fn clients_at_once(server: &Server, clients: usize, each: usize) -> usize {
    let addr = server.addr;
    let threads: Vec<_> = (0..clients)
        .map(|_| std::thread::spawn(move || requests_on_one_connection(addr, "/api/time", each)))
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), vec![200; each]);
    }
    server.handler.most_at_once()
}

/// A 0.3 instance takes several requests at once when allowed; a 0.2 one never does.
#[test]
fn only_a_0_3_instance_takes_several_requests_at_once() {
    let server = Server::with(&service_p3_component(), Duration::from_secs(5), 1000, 16);
    let most = clients_at_once(&server, 8, 40);
    assert!(most > 1, "a 0.3 instance took {most} request at once");
    assert!(
        most <= 16,
        "{most} requests at once in one instance, above the 16 allowed"
    );
    server.stop();
    let server = Server::with(&service_component(), Duration::from_secs(5), 1000, 16);
    assert_eq!(clients_at_once(&server, 8, 40), 1);
    server.stop();
}

/// `GET path` `times` times on one kept-alive connection; the statuses.
fn requests_on_one_connection(addr: SocketAddr, path: &str, times: usize) -> Vec<u16> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..times {
        write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        let mut head = Vec::new();
        let mut byte = [0];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no content-length: {head}"));
        let mut body = vec![0; length];
        stream.read_exact(&mut body).unwrap();
        statuses.push(head.split(' ').nth(1).unwrap().parse().unwrap());
    }
    statuses
}

#[test]
fn a_fresh_instance_serves_each_request_unless_reuse_is_asked_for() {
    let wasm = service_component();
    for (reuse, instances) in [(1, 8), (4, 2), (100, 1)] {
        let server = Server::reusing(&wasm, Duration::from_secs(5), reuse);
        assert_eq!(
            requests_on_one_connection(server.addr, "/api/time", 8),
            vec![200; 8],
            "reuse {reuse}"
        );
        assert_eq!(server.handler.instances(), instances, "reuse {reuse}");
        server.stop();
    }
}

#[test]
fn a_trap_in_a_reused_instance_costs_only_its_own_request() {
    // POST traps; with reuse the trapped instance is dropped and the next
    // request gets a new one.
    let server = Server::reusing(&handler(RETURN, TRAP), Duration::from_secs(5), 100);
    assert_eq!(request(server.addr, "POST", "/").0, 500);
    assert_eq!(request(server.addr, "POST", "/").0, 500);
    assert_eq!(server.handler.instances(), 2);
    server.stop();
}

/// As many instances of the service as are served at once fit in the pool together: the
/// pool's room is counted in core instances and tables, of which a component has several.
#[test]
fn the_pool_holds_as_many_live_instances_of_the_service_as_are_served_at_once() {
    let mut config = wasmtime::Config::new();
    crate::configure(&mut config);
    config.allocation_strategy(crate::pool());
    let engine = wasmtime::Engine::new(&config).unwrap();
    let component = wasmtime::component::Component::new(&engine, service_component()).unwrap();
    let pre = crate::pre_instantiate(&engine, &component).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut live = Vec::new();
        for made in 0..crate::INSTANCES {
            let mut store = crate::store(&engine, crate::Guest::new(&[], &[]));
            if let Err(err) = pre.instantiate_async(&mut store).await {
                panic!("instance {} of {}: {err:#}", made + 1, crate::INSTANCES);
            }
            live.push(store);
        }
    });
}
