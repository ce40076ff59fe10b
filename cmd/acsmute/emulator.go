package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

const emulatorUsage = `Usage: acsmute emulator [flags]

Serves a local emulator of the Call Automation participant operations
(mute, hold, unhold, remove, get one, list). When it is ready it prints one
line on stdout, the connection string to use (on loopback when listening on
every interface):

  endpoint=http://HOST:PORT/;accesskey=KEY

and then logs each request on stderr until SIGINT or SIGTERM.

With --callback URL it posts a Microsoft.Communication.ParticipantsUpdated
event to URL after every change of a call's participants or their state,
the outcome events of requests that name no operation callback URL of their
own (RemoveParticipantSucceeded, RemoveParticipantFailed, HoldFailed), and
CallDisconnected when a call ends, each signed with a JWT (RS256) that
callback.Verifier checks with audience the resource ID it logs, issuer its
URL, and its keys at URL/calling/keys. A request's operation callback URL
gets its outcome event whether or not --callback is given.

Flags:
`

const emulatorExamples = `
Examples:
  acsmute emulator --addr 127.0.0.1:8080 --call call-1=8:acs:r_alice,8:acs:r_bob
  acsmute emulator --call c1=8:acs:r_u >cs.txt 2>emulator.log &   # in a script:
  until [ -s cs.txt ]; do sleep 0.1; done; CS=$(head -n1 cs.txt)
  acsmute mute --connection-string "$CS" --call c1 --participant 8:acs:r_u
  acsmute emulator --call c1=8:acs:r_u --callback http://127.0.0.1:9000/callbacks
`

// callFlag collects repeated --call ID=RAWID,RAWID values.
type callFlag map[string][]string

func (c callFlag) String() string { return "" }

func (c callFlag) Set(v string) error {
	id, list, ok := strings.Cut(v, "=")
	if !ok || id == "" {
		return errors.New("want ID=RAWID[,RAWID...]")
	}
	var ids []string
	if list != "" {
		for _, raw := range strings.Split(list, ",") {
			if _, err := client.ParseRawID(raw); err != nil {
				return fmt.Errorf("participant %q: %w", raw, err)
			}
			ids = append(ids, raw)
		}
	}
	c[id] = append(c[id], ids...)
	return nil
}

// listFlag collects repeated string values.
type listFlag []string

func (l *listFlag) String() string     { return "" }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runEmulator(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("acsmute emulator", emulatorUsage, emulatorExamples, e)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	key := fs.String("access-key", "", "base64 access key to verify signatures with (default: a random key)")
	calls := callFlag{}
	fs.Var(calls, "call", "a call and its participants, ID=RAWID,RAWID (repeatable)")
	var tokens listFlag
	fs.Var(&tokens, "bearer-token", "a bearer token to accept (repeatable)")
	callbackURL := fs.String("callback", "", "the calls' callback URL: post ParticipantsUpdated and outcome events, signed, to it")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv, err := acstest.NewServer(&acstest.Options{
		Addr:        *addr,
		Credentials: acstest.NewCredentials(*key, tokens...),
		Calls:       calls,
		Logger:      logger,
		CallbackURL: *callbackURL,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "acsmute emulator: %s\n", strings.TrimPrefix(err.Error(), "acstest: "))
		var addrErr *net.AddrError
		var opErr *net.OpError
		if errors.As(err, &opErr) && !errors.As(err, &addrErr) { // a valid address that could not be listened on
			return exitFailure
		}
		return exitUsage
	}
	fmt.Fprintln(e.stdout, srv.ConnectionString())
	logger.Info("acsmute emulator: ready", "url", srv.URL, "calls", len(calls), "resource_id", srv.ResourceID(), "callback", *callbackURL)

	<-ctx.Done()
	logger.Info("acsmute emulator: stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	return exitOK
}
