// Command entra mutes a participant with a Microsoft Entra ID identity
// instead of an access key: azidentity's DefaultAzureCredential (a managed
// identity in Azure, workload identity in Kubernetes, environment variables,
// or your `az login` on a workstation) through the acsmute entra adapter.
//
// It needs the resource endpoint in ACS_ENDPOINT, and an identity with a role
// on the Communication Services resource that allows Call Automation (such as
// Contributor):
//
//	ACS_ENDPOINT=https://my-resource.communication.azure.com go run ./entra -call ID -participant 8:acs:...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/entra"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "entra:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("entra", flag.ContinueOnError)
	call := fs.String("call", "", "call connection ID")
	participant := fs.String("participant", "", "raw ID of the participant to mute")
	if err := fs.Parse(args); err != nil {
		return err
	}
	endpoint := getenv("ACS_ENDPOINT")
	if endpoint == "" || *call == "" || *participant == "" {
		return errors.New("set ACS_ENDPOINT and give -call and -participant")
	}
	who, err := client.ParseRawID(*participant)
	if err != nil {
		return err
	}
	azCred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return fmt.Errorf("no Entra ID credential available: %w", err)
	}
	cred, err := entra.NewCredential(azCred, nil)
	if err != nil {
		return err
	}
	c, err := client.NewClient(endpoint, cred, nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res, err := c.MuteParticipant(ctx, *call, who, nil)
	if err != nil {
		return err
	}
	fmt.Printf("muted %s after %d attempt(s)\n", who.RawID(), res.Attempts)
	return nil
}
