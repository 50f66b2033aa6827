//! Debian's chromium, headless, driven over the DevTools protocol on a pipe (fds 3 and 4,
//! `--remote-debugging-pipe`): a viewport of any width (the command line's
//! `--window-size` stops at 500 px in headless mode), an emulated colour scheme, scripts
//! evaluated against the loaded page (so the page itself ships none) and screenshots.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub fn which_chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"]
        .iter()
        .find_map(|name| which::which(name).ok())
}

pub struct Browser {
    child: Child,
    /// Whether `child` has been reaped: the watchdog that kills a browser outliving its
    /// test signals its pid only while it has not.
    reaped: Arc<Mutex<bool>>,
    to: std::fs::File,
    from: BufReader<std::fs::File>,
    next: u64,
    session: String,
}

fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills the two descriptors it is given.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    (fds[0], fds[1])
}

impl Browser {
    /// A browser with one page open, file URLs allowed to read one another (so a plot can
    /// be drawn onto a canvas and its pixels read), and nothing that reaches the network.
    pub fn start(profile: &Path) -> Self {
        let browser = which_chromium().expect("checked by the caller");
        let (their_in, our_out) = pipe();
        let (our_in, their_out) = pipe();
        let mut command = Command::new(browser);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--allow-file-access-from-files",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only dup2(2) between fork and exec; the browser reads commands on fd 3
        // and writes answers on fd 4.
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(their_in, 3) < 0 || libc::dup2(their_out, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("start chromium");
        // SAFETY: the descriptors are ours alone from here; the child has its copies.
        let (to, from) = unsafe {
            libc::close(their_in);
            libc::close(their_out);
            (
                std::fs::File::from_raw_fd(our_out),
                std::fs::File::from_raw_fd(our_in),
            )
        };
        let pid = child.id();
        let reaped = Arc::new(Mutex::new(false));
        let watched = Arc::clone(&reaped);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(180));
            // Under the lock, as `drop` reaps: once reaped, the pid may be another process's.
            let reaped = watched.lock().unwrap_or_else(|p| p.into_inner());
            if !*reaped {
                // SAFETY: kill(2) on our own child, not reaped yet, should it outlive the test.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        });
        let mut b = Self {
            child,
            reaped,
            to,
            from: BufReader::new(from),
            next: 0,
            session: String::new(),
        };
        let target = b.call(
            "Target.createTarget",
            serde_json::json!({"url": "about:blank"}),
        );
        let id = target["targetId"].as_str().expect("a target").to_owned();
        let attached = b.call(
            "Target.attachToTarget",
            serde_json::json!({"targetId": id, "flatten": true}),
        );
        b.session = attached["sessionId"]
            .as_str()
            .expect("a session")
            .to_owned();
        b
    }

    /// Sends `method` (to the page once attached) and waits for its answer.
    pub fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.next += 1;
        let mut message = serde_json::json!({"id": self.next, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = self.session.clone().into();
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        loop {
            let mut buf = Vec::new();
            let n = self
                .from
                .read_until(0, &mut buf)
                .expect("read from chromium");
            assert!(n > 0, "chromium closed its pipe during {method}");
            buf.pop();
            let answer: serde_json::Value = serde_json::from_slice(&buf).expect("json");
            if answer["id"].as_u64() == Some(self.next) {
                assert!(answer["error"].is_null(), "{method}: {}", answer["error"]);
                return answer["result"].clone();
            }
        }
    }

    /// The value of `expression` (a promise is awaited), as JSON.
    pub fn eval(&mut self, expression: &str) -> serde_json::Value {
        let r = self.call(
            "Runtime.evaluate",
            serde_json::json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r["exceptionDetails"].is_null(), "{}", r["exceptionDetails"]);
        r["result"]["value"].clone()
    }

    /// Loads `url` at `width` CSS pixels (a phone below 600), light or dark, and waits
    /// until it and every image have loaded.
    pub fn open(&mut self, url: &str, width: u32, dark: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
        let scheme = if dark { "dark" } else { "light" };
        self.call(
            "Emulation.setEmulatedMedia",
            serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        );
        self.call("Page.navigate", serde_json::json!({"url": url}));
        for _ in 0..200 {
            let ready = self.eval(
                "document.readyState === 'complete' && document.URL !== 'about:blank' && \
                 [...document.images].every(i => i.complete)",
            );
            if ready == serde_json::Value::Bool(true) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{url} did not finish loading");
    }

    /// A PNG of the page from `top`, `height` pixels of it at most.
    pub fn screenshot(&mut self, width: u32, top: u64, height: u64) -> Vec<u8> {
        let shot = self.call(
            "Page.captureScreenshot",
            serde_json::json!({"format": "png", "captureBeyondViewport": true,
                "clip": {"x": 0, "y": top, "width": width, "height": height, "scale": 1}}),
        );
        base64(shot["data"].as_str().expect("image data"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let mut reaped = self.reaped.lock().unwrap_or_else(|p| p.into_inner());
        self.child.kill().ok();
        self.child.wait().ok();
        *reaped = true;
    }
}

/// Standard base64, as the protocol sends images.
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | u32::from(*d) << (18 - 6 * i));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}
