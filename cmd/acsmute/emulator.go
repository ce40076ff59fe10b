package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

const emulatorUsage = `Usage: acsmute emulator [flags]

Serves a local emulator of the Call Automation participant operations
(mute, hold, unhold, remove, get one, list) and, beside them under
/admin/v1/, an admin API for tests written in any language: create and end
calls, make participants join, leave, unmute themselves or be held, inject
faults, point callbacks anywhere, and read the requests received, the
callbacks posted and each call's state (see the guide, "The emulator's
admin API").

When it is ready it prints on stdout one name=value line each (addresses
on loopback when it listens on every interface):

  connection-string=endpoint=http://HOST:PORT/;accesskey=KEY
  endpoint=http://HOST:PORT/
  resource-id=ID                  the callback tokens' audience
  callback-issuer=http://HOST:PORT
  callback-keys-url=http://HOST:PORT/calling/keys
  admin-url=http://HOST:PORT/admin/v1/
  admin-token=TOKEN               send as "Authorization: Bearer TOKEN"

and then logs each request and each callback delivery on stderr until
SIGINT or SIGTERM.

With --callback URL (or PUT /admin/v1/callback at run time) it posts a
Microsoft.Communication.ParticipantsUpdated event to URL after every change
of a call's participants or their state, the outcome events of requests
that name no operation callback URL of their own
(RemoveParticipantSucceeded, RemoveParticipantFailed, HoldFailed), and
CallDisconnected when a call ends, each signed with a JWT (RS256) that
callback.Verifier checks with audience the resource ID, issuer the
callback issuer and its keys at the callback keys URL. A request's
operation callback URL gets its outcome event whether or not a callback URL
is set.

Flags:
`

const emulatorExamples = `
Examples:
  acsmute emulator --addr 127.0.0.1:8080 --call call-1=8:acs:r_alice,8:acs:r_bob
  acsmute emulator --call c1=8:acs:r_u >emulator.env 2>emulator.log &   # in a script:
  until grep -q '^admin-token=' emulator.env 2>/dev/null; do sleep 0.1; done
  CS=$(sed -n 's/^connection-string=//p' emulator.env)
  acsmute mute --connection-string "$CS" --call c1 --participant 8:acs:r_u
  acsmute emulator --call c1=8:acs:r_u --callback http://127.0.0.1:9000/callbacks
  acsmute emulator --state calls.json --resource-id my-test-resource --admin-token "$TOKEN"
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
			// As every command takes raw IDs: a typo is an error, not a
			// participant nobody can reach.
			if _, err := client.ParseRawIDStrict(raw); err != nil {
				return fmt.Errorf("participant %q: %s", raw, cliMessage(err))
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

// maxStateFile bounds the file --state reads.
const maxStateFile = 16 << 20

// emulatorFlagNames names, in the emulator's errors, the flags behind the
// emulator's options.
var emulatorFlagNames = strings.NewReplacer(
	"acstest: ", "",
	"CallbackURL", "--callback",
	"access key", "--access-key",
	"empty bearer token", "--bearer-token is empty",
	"ResourceID", "--resource-id",
	"AdminToken", "--admin-token",
	"listening on", "--addr: listening on",
)

func runEmulator(ctx context.Context, args []string, e env) int {
	const cmd = "acsmute emulator"
	fs := newFlagSet(cmd, emulatorUsage, emulatorExamples, e)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one; 0.0.0.0:PORT for every interface)")
	key := fs.String("access-key", "", "base64 access key to verify signatures with (default: a random key)")
	calls := callFlag{}
	fs.Var(calls, "call", "a call and its participants, ID=RAWID,RAWID (repeatable)")
	var tokens listFlag
	fs.Var(&tokens, "bearer-token", "a bearer token to accept (repeatable)")
	callbackURL := fs.String("callback", "", "the calls' callback URL: post ParticipantsUpdated and outcome events, signed, to it")
	resourceID := fs.String("resource-id", "", "the emulated resource's ID, the callback tokens' audience (default: a random UUID)")
	adminToken := fs.String("admin-token", "", "the admin API's bearer token, at least 16 characters (default: a random one, printed)")
	state := fs.String("state", "", "a JSON file of calls to start with, as GET /admin/v1/calls answers them")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	var stateData []byte
	if *state != "" {
		// A FIFO or a device would block or never end: only a file.
		if info, err := os.Stat(*state); err != nil {
			return usageError(e, cmd, "--state: %v", err)
		} else if !info.Mode().IsRegular() {
			return usageError(e, cmd, "--state: %s is not a regular file", *state)
		}
		f, err := os.Open(*state)
		if err != nil {
			return usageError(e, cmd, "--state: %v", err)
		}
		stateData, err = io.ReadAll(io.LimitReader(f, maxStateFile+1))
		_ = f.Close()
		switch {
		case err != nil:
			return usageError(e, cmd, "--state: %v", err)
		case len(stateData) > maxStateFile:
			return usageError(e, cmd, "--state: the file is larger than %d bytes", maxStateFile)
		}
	}
	if *adminToken == "" {
		*adminToken = rand.Text()
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv, err := acstest.NewServer(&acstest.Options{
		Addr:        *addr,
		Credentials: acstest.NewCredentials(*key, tokens...),
		Calls:       calls,
		Logger:      logger,
		CallbackURL: *callbackURL,
		ResourceID:  *resourceID,
		AdminToken:  *adminToken,
	})
	if err != nil {
		var addrErr *net.AddrError
		var opErr *net.OpError
		if errors.As(err, &opErr) && !errors.As(err, &addrErr) { // a valid address that could not be listened on
			fmt.Fprintf(e.stderr, "%s: %s\n", cmd, emulatorFlagNames.Replace(err.Error()))
			return exitFailure
		}
		return usageError(e, cmd, "%s", emulatorFlagNames.Replace(err.Error()))
	}
	if stateData != nil {
		if err := srv.LoadState(stateData); err != nil {
			srv.Close()
			return usageError(e, cmd, "--state: %s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "acstest: the state"), ": "))
		}
	}
	for _, line := range [][2]string{
		{"connection-string", srv.ConnectionString()},
		{"endpoint", srv.URL + "/"},
		{"resource-id", srv.ResourceID()},
		{"callback-issuer", srv.URL},
		{"callback-keys-url", srv.URL + acstest.PathCallbackKeys},
		{"admin-url", srv.URL + acstest.AdminPathPrefix},
		{"admin-token", *adminToken},
	} {
		fmt.Fprintf(e.stdout, "%s=%s\n", line[0], line[1])
	}
	logger.Info("acsmute emulator: ready", "url", srv.URL, "calls", len(srv.CallIDs()), "resource_id", srv.ResourceID(),
		"callback", acstest.RedactURL(*callbackURL))

	<-ctx.Done()
	logger.Info("acsmute emulator: stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	return exitOK
}
