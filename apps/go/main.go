// Moscow Time, the lab's program in Go: one binary, three contexts decided at run time,
// with the same routes, JSON and page as the Rust service (service/), so the same checks
// hold for both.
//
//   - MODE=once: prints {"moscow_time":"YYYY-MM-DD HH:MM:SS MSK","timestamp":N} and exits.
//   - REQUEST_METHOD set (a WAGI host): answers PATH_INFO on stdout, CGI style.
//   - otherwise: serves HTTP on HOST:PORT (default every interface, port 8080) until
//     SIGTERM or Ctrl-C.
//
// Built with the standard library only, natively (CGO_ENABLED=0, static) and for
// GOOS=wasip1 GOARCH=wasm, where there are no sockets: the server context says so and
// exits 2, as the Rust module does.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

const allowedMethods = "GET, HEAD"

// msk is UTC+3, fixed: Moscow has kept no daylight saving time since 2014.
var msk = time.FixedZone("MSK", 3*60*60)

func formatted(now time.Time) string {
	return now.In(msk).Format("2006-01-02 15:04:05") + " MSK"
}

func timeJSON(now time.Time) string {
	return fmt.Sprintf(`{"moscow_time":"%s","timestamp":%d}`, formatted(now), now.Unix())
}

func page(now time.Time) string {
	return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
		"<title>Moscow Time</title></head>\n<body><h1>Current time in Moscow</h1>" +
		"<p id=\"time\">" + formatted(now) + "</p><p><a href=\"/api/time\">as JSON</a></p></body></html>\n"
}

type response struct {
	status      int
	contentType string
	body        string
}

// respond is the app's one routing table, for the server and the WAGI context alike.
func respond(method, path string, now time.Time) response {
	if method != "GET" && method != "HEAD" {
		return response{http.StatusMethodNotAllowed, "text/plain; charset=utf-8",
			"method " + method + " not allowed; use " + allowedMethods + "\n"}
	}
	switch path {
	case "/":
		return response{http.StatusOK, "text/html; charset=utf-8", page(now)}
	case "/api/time":
		return response{http.StatusOK, "application/json", timeJSON(now)}
	default:
		return response{http.StatusNotFound, "text/plain; charset=utf-8", "not found; try / or /api/time\n"}
	}
}

func main() {
	if os.Getenv("MODE") == "once" {
		fmt.Println(timeJSON(time.Now()))
		return
	}
	if method := os.Getenv("REQUEST_METHOD"); method != "" {
		path := os.Getenv("PATH_INFO")
		if path == "" {
			path = "/"
		}
		wagi(os.Stdout, method, path)
		return
	}
	if runtime.GOOS == "wasip1" {
		fmt.Fprintln(os.Stderr, "moscow-time: server mode needs TCP sockets, which WASI preview 1 "+
			"does not provide; set MODE=once for the CLI, or serve this module as a WAGI handler")
		os.Exit(2)
	}
	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, "moscow-time: "+err.Error())
		os.Exit(1)
	}
}

// wagi writes the response as CGI output: headers, a blank line, the body (none for HEAD).
func wagi(out io.Writer, method, path string) {
	r := respond(method, path, time.Now())
	fmt.Fprintf(out, "Content-Type: %s\nStatus: %d %s\n", r.contentType, r.status, http.StatusText(r.status))
	if r.status == http.StatusMethodNotAllowed {
		fmt.Fprintf(out, "Allow: %s\n", allowedMethods)
	}
	fmt.Fprint(out, "\n")
	if method != "HEAD" {
		fmt.Fprint(out, r.body)
	}
}

func serve() error {
	host, port := os.Getenv("HOST"), os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("PORT=%q is not a port number; set PORT to a number from 0 to 65535", port)
	}
	if host != "" && net.ParseIP(host) == nil {
		return fmt.Errorf("HOST=%q is not an IP address; set HOST to one, such as 127.0.0.1", host)
	}
	server := &http.Server{
		Addr: net.JoinHostPort(host, port),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			r := respond(req.Method, req.URL.Path, time.Now())
			w.Header().Set("Content-Type", r.contentType)
			if r.status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", allowedMethods)
			}
			w.WriteHeader(r.status)
			if req.Method != "HEAD" {
				io.WriteString(w, r.body)
			}
		}),
		// A client that never finishes its request head is dropped, as by the Rust server.
		ReadHeaderTimeout: 5 * time.Second,
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	failed := make(chan error, 1)
	go func() { failed <- server.ListenAndServe() }()
	select {
	case err := <-failed:
		return err
	case <-stop:
		// Idle connections close at once; requests in flight get a moment to finish.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		server.Shutdown(ctx)
		return nil
	}
}
