// Command acsdrift compares the project's OpenAPI document with Microsoft's
// published Swagger 2.0 description of a Call Automation API version and
// prints one line per contract difference of our operations (mute, get participant).
//
//	acsdrift [-upstream PATH_OR_URL]
//
// Exit status: 0 when there is no difference, 1 when there is drift, 2 when
// a document cannot be loaded.
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

// DefaultUpstream is the published 2024-09-15 description.
const DefaultUpstream = "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/specification/communication/data-plane/CallAutomation/stable/2024-09-15/communicationservicescallautomation.json"

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
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: acsdrift [-upstream PATH_OR_URL]\n\n"+
			"Compares openapi/mute.yaml with Microsoft's published Swagger 2.0 document and prints\n"+
			"one line per contract difference of our operations. Exit 0: none; 1: drift; 2: error.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
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
	diffs := drift.Compare(ours, up)
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	if len(diffs) > 0 {
		fmt.Fprintf(stderr, "acsdrift: %d difference(s) from %s\n", len(diffs), *upstream)
		return 1
	}
	fmt.Fprintf(stderr, "acsdrift: no difference from %s\n", *upstream)
	return 0
}
