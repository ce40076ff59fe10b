// Command acsmute moderates participants of Azure Communication Services
// calls (mute, hold, unhold, remove, read), serves a local emulator of the
// service, and demonstrates both.
//
//	acsmute mute --connection-string CS --call ID --participant RAWID [--operation-context TEXT] [--verify]
//	acsmute mute --connection-string CS --call ID --all [--except RAWID]...
//	acsmute hold --connection-string CS --call ID --participant RAWID [--play-file URL] [--verify]
//	acsmute unhold --connection-string CS --call ID --participant RAWID [--verify]
//	acsmute remove --connection-string CS --call ID --participant RAWID [--operation-context TEXT] [--verify]
//	acsmute participant --connection-string CS --call ID --participant RAWID
//	acsmute participants --connection-string CS --call ID
//	acsmute emulator [--addr HOST:PORT] [--access-key BASE64] [--call ID=RAWID,RAWID ...]
//	acsmute demo
//
// Exit status: 0 on success, 1 when the service or the network fails, 2 on
// bad input (nothing is sent then).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env gives the command its environment, so tests can run it in-process.
type env struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// guard cleans what the command writes (guarded): set by run.
	guard *guard
}

const usage = `acsmute moderates participants of Azure Communication Services calls.

Usage:
  acsmute mute          mute a participant of a call connection (or --all of them)
  acsmute hold          put a participant of a call connection on hold
  acsmute unhold        take a participant of a call connection off hold
  acsmute remove        remove a participant from a call connection
  acsmute participant   read a participant of a call connection: muted, on hold
  acsmute participants  list the participants of a call connection
  acsmute emulator      serve a local emulator of the service
  acsmute demo          mute a participant on an in-process emulator and show what happened
  acsmute help CMD      show help for a command

Run 'acsmute CMD --help' for a command's flags and examples.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	e = e.guarded()
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "mute":
		return runMute(ctx, args[1:], e)
	case "hold":
		return runHold(ctx, args[1:], e)
	case "unhold":
		return runUnhold(ctx, args[1:], e)
	case "remove":
		return runRemove(ctx, args[1:], e)
	case "participant":
		return runParticipant(ctx, args[1:], e)
	case "participants":
		return runParticipants(ctx, args[1:], e)
	case "emulator":
		return runEmulator(ctx, args[1:], e)
	case "demo":
		return runDemo(ctx, args[1:], e)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			return run(ctx, []string{args[1], "--help"}, e)
		}
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "acsmute: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// newFlagSet returns a flag set for a subcommand whose help prints usage,
// the flags and then examples. The flag package itself prints nothing:
// parseFlags reports errors and help.
func newFlagSet(name, usage, examples string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(e.stdout, usage)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprint(e.stdout, examples)
	}
	return fs
}

// parseFlags parses args. When it returns false the command must exit with
// code: 0 after printing help on stdout once, 2 after a flag error or a
// stray argument (reported on stderr).
func parseFlags(fs *flag.FlagSet, args []string, e env) (ok bool, code int) {
	help := fs.Usage
	fs.Usage = func() {} // the flag package would print it on every error
	err := fs.Parse(args)
	fs.Usage = help
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			help()
			return false, exitOK
		}
		return false, usageError(e, fs.Name(), "%s", flagError(err))
	}
	if fs.NArg() > 0 {
		return false, usageError(e, fs.Name(), "unexpected argument %q", fs.Arg(0))
	}
	return true, exitOK
}

// usageError reports bad input on one line, with where to find help, and
// returns the exit code for it.
func usageError(e env, cmd, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\nRun '%s --help' for usage.\n", cmd, fmt.Sprintf(format, args...), cmd)
	return exitUsage
}

// flagValueError matches the flag package's errors about a value, which
// quote it: a value pasted into the wrong flag may be a secret.
var flagValueError = regexp.MustCompile(`^invalid (boolean )?value ".*" for (?:flag )?-(\S+): (.*)$`)

// flagError is a flag parse error's text, naming the flag with its two
// dashes and never quoting the value given.
func flagError(err error) string {
	msg := err.Error()
	if m := flagValueError.FindStringSubmatch(msg); m != nil {
		if m[3] != "parse error" && m[3] != "value out of range" {
			return fmt.Sprintf("--%s: %s", m[2], m[3]) // a flag type of ours, which says what is wrong
		}
		what := "value"
		if m[1] != "" {
			what = "boolean"
		}
		return fmt.Sprintf("--%s: invalid %s (%s); it is not repeated here", m[2], what, m[3])
	}
	for _, prefix := range []string{"flag provided but not defined: -", "flag needs an argument: -"} {
		if name, ok := strings.CutPrefix(msg, prefix); ok {
			return strings.TrimSuffix(prefix, "-") + "--" + strings.TrimPrefix(name, "-")
		}
	}
	return msg
}
