package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The container image definition holds together without Docker: its
// builder's Go is the one this module is built and tested with, the binary
// it builds is static (the command builds with cgo off), and its entry
// point is the emulator listening on every interface at the port it
// exposes.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var from, build, expose, entry string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "FROM golang:"):
			from = line
		case strings.HasPrefix(line, "RUN CGO_ENABLED=0 go build"):
			build = line
		case strings.HasPrefix(line, "EXPOSE "):
			expose = strings.TrimPrefix(line, "EXPOSE ")
		case strings.HasPrefix(line, "ENTRYPOINT "):
			entry = strings.TrimPrefix(line, "ENTRYPOINT ")
		}
	}
	// The builder's Go is a release of the go.mod directive's line (1.26),
	// pinned to a patch release.
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	directive := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	m := regexp.MustCompile(`^FROM golang:(\d+\.\d+)\.\d+-`).FindStringSubmatch(from)
	if directive == nil || m == nil || m[1] != string(directive[1]) {
		t.Errorf("builder %q, want golang:%s.<patch>-... as go.mod says", from, directive)
	}
	if !strings.HasSuffix(build, "./cmd/acsmute") || !strings.Contains(build, "-o /out/acsmute") {
		t.Errorf("build step %q", build)
	}
	if want := `["/acsmute", "emulator", "--addr", "0.0.0.0:` + expose + `"]`; entry != want || expose == "" {
		t.Errorf("entry point %s, exposing %q; want %s", entry, expose, want)
	}
	if testing.Short() {
		return
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}
