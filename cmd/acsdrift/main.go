// Command acsdrift compares the project's OpenAPI document with Microsoft's
// published Swagger 2.0 description of a Call Automation API version and
// prints one line per contract difference of our operations (mute, get participant, list participants).
//
//	acsdrift [-upstream PATH_OR_URL] [-expected FILE] [-version V]
//
// With -expected, differences the file lists for the upstream document's API
// version (its info.version, or -version) are expected: they are reported on
// stderr and do not fail the check; a listed line that no longer appears
// does (see openapi/drift-expected.txt for the format).
//
// Exit status: 0 when there is no unexpected difference, 1 when there is
// drift (or a stale expectation), 2 when a document cannot be loaded.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/acsmute/acsmute/openapi"
	"github.com/acsmute/acsmute/openapi/drift"
)

// DefaultUpstream is the published description of the newest stable
// version, the one openapi/mute.yaml models.
const DefaultUpstream = "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/specification/communication/data-plane/CallAutomation/stable/2026-03-12/communicationservicescallautomation.json"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("acsdrift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	upstream := fs.String("upstream", DefaultUpstream, "Swagger 2.0 document to compare with: a file path or an http(s) URL")
	expectedFile := fs.String("expected", "", "file of expected differences per API version (such as openapi/drift-expected.txt)")
	version := fs.String("version", "", "API version of the upstream document, to pick its expectations (default: its info.version)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: acsdrift [-upstream PATH_OR_URL] [-expected FILE] [-version V]\n\n"+
			"Compares openapi/mute.yaml with Microsoft's published Swagger 2.0 document and prints\n"+
			"one line per unexpected contract difference of our operations.\n"+
			"Exit 0: none; 1: drift or a stale expectation; 2: error.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var expect drift.Expectations
	if *expectedFile != "" {
		f, err := os.Open(*expectedFile)
		if err != nil {
			fmt.Fprintf(stderr, "acsdrift: %v\n", err)
			return 2
		}
		expect, err = drift.ParseExpectations(f)
		_ = f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "acsdrift: %s: %v\n", *expectedFile, err)
			return 2
		}
	}
	ours, err := openapi.Load(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "acsdrift: %v\n", err)
		return 2
	}
	up, err := drift.LoadUpstream(ctx, *upstream)
	if err != nil {
		fmt.Fprintf(stderr, "acsdrift: %v\n", err)
		return 2
	}
	v := *version
	if v == "" && up.Info != nil {
		v = up.Info.Version
	}
	unexpected, expected, stale := expect.Triage(v, drift.Compare(ours, up))
	for _, d := range unexpected {
		fmt.Fprintln(stdout, d)
	}
	for _, d := range expected {
		fmt.Fprintf(stderr, "acsdrift: expected for %s: %s\n", v, d)
	}
	for _, w := range stale {
		fmt.Fprintf(stdout, "expected for %s but not found (review %s): %s\n", v, *expectedFile, w)
	}
	if len(unexpected)+len(stale) > 0 {
		fmt.Fprintf(stderr, "acsdrift: %d unexpected difference(s) and %d stale expectation(s) against %s (api-version %s)\n",
			len(unexpected), len(stale), *upstream, v)
		return 1
	}
	fmt.Fprintf(stderr, "acsdrift: no unexpected difference from %s (api-version %s; %d expected)\n", *upstream, v, len(expected))
	return 0
}
