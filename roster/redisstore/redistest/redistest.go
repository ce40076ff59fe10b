// Package redistest starts a real redis-server (Debian's package, or any on
// PATH) for a test, on a free loopback port, and stops it when the test
// ends: what the tests of code using roster/redisstore need, in the spirit
// of net/http/httptest.
//
// Without redis-server on PATH, Start skips the test, unless the
// environment variable ACSMUTE_REDIS is 1 (as the project's CI sets it),
// which makes it fail instead.
package redistest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process started for a test.
type Server struct {
	// Addr is where it listens: "127.0.0.1:<port>".
	Addr string

	t    testing.TB
	dir  string
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// Start starts redis-server on a free loopback port, without persistence
// unless args (extra configuration, such as "--appendonly", "yes") asks for
// it, and stops it when the test ends.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("ACSMUTE_REDIS") == "1" {
			t.Fatalf("redistest: redis-server is not installed, and ACSMUTE_REDIS=1 requires it: %v", err)
		}
		t.Skip("redistest: redis-server is not installed (apt-get install redis-server); ACSMUTE_REDIS=1 makes this a failure")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	s := &Server{Addr: addr, t: t, dir: t.TempDir(), args: args}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", s.dir, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"}, s.args...)
	out := &bytes.Buffer{}
	cmd := exec.Command("redis-server", args...) // #nosec G204 -- the test's own configuration, on loopback
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
	s.mu.Lock()
	s.cmd, s.out = cmd, out
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer func() { _ = c.Close() }()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: redis-server did not start: %s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills the server, if it runs.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// Restart stops the server and starts it again on the same port, with the
// same configuration: without persistence, its data is gone.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// StartAgain starts the server again after Stop, on the same port.
func (s *Server) StartAgain() {
	s.t.Helper()
	s.start()
}

// Port returns the port it listens on.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}
