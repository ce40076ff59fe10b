package main

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/acsmute/acsmute/client"
)

// credentialHelp says, for a command's help, where the credential comes from.
func credentialHelp(cmd string) string {
	return `The connection string comes from --connection-string or, when neither it
nor --endpoint is given, from the ACS_CONNECTION_STRING environment
variable; it is never printed. To use a Microsoft Entra ID token instead,
give --endpoint and put the token in ACS_BEARER_TOKEN (never a flag, so that
it stays out of shell history and process lists), for example:
  ACS_BEARER_TOKEN=$(az account get-access-token --resource https://communication.azure.com --query accessToken -o tsv) \
    acsmute ` + cmd + ` --endpoint https://my-resource.communication.azure.com --call abc` + participantExample(cmd) + `
`
}

// participantExample is the --participant part of a command's example.
func participantExample(cmd string) string {
	if cmd == "participants" {
		return ""
	}
	return " --participant 8:acs:r_u"
}

// callFlags are the flags every command that talks to the service shares.
type callFlags struct {
	fs               *flag.FlagSet
	connectionString *string
	endpoint         *string
	call             *string
	participant      *string
	timeout          *time.Duration
	apiVersion       *string
}

// addCallFlags defines the shared flags. what says what --participant is
// for; "" means the command has no --participant flag.
func addCallFlags(fs *flag.FlagSet, what string) callFlags {
	f := callFlags{
		fs:               fs,
		connectionString: fs.String("connection-string", "", "resource connection string (default $ACS_CONNECTION_STRING)"),
		endpoint:         fs.String("endpoint", "", "resource endpoint, with a Microsoft Entra ID bearer token in $ACS_BEARER_TOKEN (instead of a connection string)"),
		call:             fs.String("call", "", "call connection ID (required)"),
		timeout:          fs.Duration("timeout", 2*time.Minute, "give up after this long, retries included"),
		apiVersion:       addAPIVersionFlag(fs),
	}
	if what != "" {
		f.participant = fs.String("participant", "", "raw ID of the participant "+what+", such as 8:acs:... (required)")
	}
	return f
}

// rawIDFlag parses a flag's value as a raw ID the official SDKs recognise:
// a typo is bad input rather than a request.
//
// A value pasted into the wrong flag may be a secret: one that holds
// "accesskey=" is never repeated, nor is a long one without the ":" every
// raw ID has (an access key or a token, say).
func rawIDFlag(flag, v string) (client.Identifier, error) {
	const want = "want 8:acs:..., 4:+1..., 8:orgid:..., 28:orgid:... and the like"
	if strings.Contains(strings.ToLower(v), "accesskey=") {
		return nil, fmt.Errorf("%s looks like a connection string; it is not repeated here", flag)
	}
	if !strings.Contains(v, ":") && len(v) > 24 {
		return nil, fmt.Errorf("%s is not a raw ID (%s); the value is not repeated here", flag, want)
	}
	who, err := client.ParseRawIDStrict(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", flag, cliMessage(err))
	}
	return who, nil
}

// addAPIVersionFlag defines --api-version, the Call Automation API version
// to speak.
func addAPIVersionFlag(fs *flag.FlagSet) *string {
	return fs.String("api-version", client.APIVersion, "Call Automation API version: "+strings.Join(client.SupportedAPIVersions(), ", "))
}

// checkAPIVersion checks --api-version. Its error quotes the value only
// when it looks like a version: a value pasted into the wrong flag may be a
// secret.
func checkAPIVersion(v string) error {
	want := strings.Join(client.SupportedAPIVersions(), ", ")
	switch {
	case slices.Contains(client.SupportedAPIVersions(), v):
		return nil
	case v == "":
		return fmt.Errorf("--api-version is empty (want one of %s)", want)
	case len(v) <= 32 && strings.Trim(v, "0123456789abcdefghijklmnopqrstuvwxyz-.") == "":
		return fmt.Errorf("--api-version %q is not supported (want one of %s)", v, want)
	}
	return fmt.Errorf("--api-version is not a supported version (want one of %s)", want)
}

// resolve checks the shared flags and makes the client and the participant.
// Missing flags are reported together. It returns the exit code to use when
// ok is false (the problem is already reported).
//
// When f has no --participant flag, or it is empty and needParticipant is
// false, who is nil.
func (f callFlags) resolve(cmd string, e env, needParticipant bool) (c *client.Client, who client.Identifier, ok bool, code int) {
	// An explicit flag wins over the environment: --connection-string over
	// ACS_BEARER_TOKEN, --endpoint over ACS_CONNECTION_STRING.
	token := ""
	if strings.Contains(strings.ToLower(*f.endpoint), "accesskey=") {
		return nil, nil, false, usageError(e, cmd, "--endpoint looks like a connection string; give it with --connection-string instead (it is not repeated here)")
	}
	switch {
	case *f.connectionString != "" && *f.endpoint != "":
		return nil, nil, false, usageError(e, cmd, "give --connection-string or --endpoint (with ACS_BEARER_TOKEN), not both")
	case *f.endpoint != "":
		// Forgive what copying a token tends to bring along: blanks, a
		// trailing newline, the scheme.
		token = strings.TrimSpace(e.getenv("ACS_BEARER_TOKEN"))
		if len(token) > 7 && strings.EqualFold(token[:7], "Bearer ") {
			token = strings.TrimSpace(token[7:])
		}
		if token == "" {
			return nil, nil, false, usageError(e, cmd, "--endpoint needs a bearer token in ACS_BEARER_TOKEN")
		}
	case *f.connectionString == "":
		*f.connectionString = e.getenv("ACS_CONNECTION_STRING")
		if *f.connectionString == "" && e.getenv("ACS_BEARER_TOKEN") != "" {
			return nil, nil, false, usageError(e, cmd, "ACS_BEARER_TOKEN needs --endpoint")
		}
	}
	haveCS, haveBearer := *f.connectionString != "", *f.endpoint != ""
	// From here on the credential is known: nothing the command writes
	// holds it.
	held := token
	if !haveBearer {
		e.guard.addCredentials(*f.connectionString, "")
		if cs, err := client.ParseConnectionString(*f.connectionString); err == nil {
			held = cs.AccessKey()
		}
	}
	e.guard.add(held)
	participant := ""
	if f.participant != nil {
		participant = *f.participant
	}
	if err := checkAPIVersion(*f.apiVersion); err != nil {
		return nil, nil, false, usageError(e, cmd, "%s", err)
	}
	for flag, v := range map[string]string{"--call": *f.call, "--participant": participant} {
		if strings.Contains(strings.ToLower(v), "accesskey=") {
			return nil, nil, false, usageError(e, cmd, "%s looks like a connection string; it is not repeated here", flag)
		}
	}
	if looksLikeKey(*f.call) {
		// The service would echo it in its answer, and the answer would be
		// printed.
		return nil, nil, false, usageError(e, cmd, "--call looks like an access key, not a call connection ID; it is not repeated here")
	}
	// Nor may a flag: the service would echo it, and its answer be printed.
	if name := f.flagHolding(held); name != "" {
		return nil, nil, false, usageError(e, cmd, "%s holds the credential (the access key or bearer token); it is not repeated here", name)
	}
	var missing []string
	if !haveCS && !haveBearer {
		missing = append(missing, "--connection-string (or ACS_CONNECTION_STRING, or --endpoint with ACS_BEARER_TOKEN)")
	}
	if *f.call == "" {
		missing = append(missing, "--call")
	}
	if participant == "" && needParticipant {
		missing = append(missing, "--participant")
	}
	if len(missing) > 0 {
		return nil, nil, false, usageError(e, cmd, "missing %s", strings.Join(missing, ", "))
	}
	if *f.timeout <= 0 {
		return nil, nil, false, usageError(e, cmd, "--timeout must be positive")
	}
	if participant != "" {
		var err error
		if who, err = rawIDFlag("--participant", participant); err != nil {
			return nil, nil, false, usageError(e, cmd, "%s", err)
		}
	}
	if haveBearer {
		cred, err := client.NewStaticTokenCredential(token)
		if err != nil {
			return nil, nil, false, usageError(e, cmd, "ACS_BEARER_TOKEN: %s", cliMessage(err))
		}
		c, err = client.NewClient(*f.endpoint, cred, &client.ClientOptions{APIVersion: *f.apiVersion})
		if err != nil {
			return nil, nil, false, usageError(e, cmd, "%s", cliMessage(err))
		}
		return c, who, true, exitOK
	}
	c, err := client.NewClientFromConnectionString(*f.connectionString, &client.ClientOptions{APIVersion: *f.apiVersion})
	if err != nil {
		return nil, nil, false, usageError(e, cmd, "%s", cliMessage(err))
	}
	return c, who, true, exitOK
}

// flagHolding returns the name of a flag given on the command line whose
// value holds the credential (equal to it, whatever its length, or
// containing it when it is at least minGuarded bytes), "" when none does.
// The credential's own flags are not looked at.
func (f callFlags) flagHolding(credential string) string {
	if credential == "" || f.fs == nil {
		return ""
	}
	name := ""
	f.fs.Visit(func(fl *flag.Flag) {
		if name != "" || fl.Name == "connection-string" || fl.Name == "endpoint" {
			return
		}
		v := fl.Value.String()
		if v == credential || (len(credential) >= minGuarded && strings.Contains(v, credential)) {
			name = "--" + fl.Name
		}
	})
	return name
}

// looksLikeKey reports whether v looks like an access key: long, and valid
// base64 of at least 32 bytes (call connection IDs are not).
func looksLikeKey(v string) bool {
	if len(v) < 40 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(b) >= 32
}

// cliMessage is an error's text for the command line: without the library's
// prefix and, for input errors (the library's own words, never the
// service's), naming flags instead of the Go options behind them.
func cliMessage(err error) string {
	if !errors.Is(err, client.ErrInvalidInput) {
		return strings.ReplaceAll(err.Error(), "acsmute: ", "")
	}
	return strings.NewReplacer(
		"acsmute: ", "",
		"; use https, or set ClientOptions.InsecureAllowHTTP", "; use https (http is for localhost and loopback addresses)",
		"UnholdParticipantOptions.OperationCallbackURL", "--operation-callback-url",
		"OperationCallbackURL", "--operation-callback-url",
		"PlayFileURL", "--play-file",
		"OperationContext", "--operation-context",
		"RepeatabilityRequestID", "--repeatability-request-id",
		"RepeatabilityFirstSent", "--repeatability-first-sent",
		"APIVersion", "--api-version",
		"pass it to NewClientFromConnectionString instead", "give it with --connection-string instead",
	).Replace(err.Error())
}

// callFailed reports a call's error and returns the exit code: bad input
// (nothing sent) is a usage error, anything else a failure.
func callFailed(e env, cmd string, err error) int {
	if errors.Is(err, client.ErrInvalidInput) {
		return usageError(e, cmd, "%s", cliMessage(err))
	}
	printFailure(e, cmd, err)
	return exitFailure
}

// printFailure writes a failed call to stderr on one line; for an unknown
// outcome, a second line says how to resolve it.
func printFailure(e env, cmd string, err error) {
	fmt.Fprintf(e.stderr, "%s: %s\n", cmd, cliMessage(err))
	if !errors.Is(err, client.ErrOutcomeUnknown) {
		return
	}
	var me *client.MuteError
	var ae *client.ActionError
	switch {
	case errors.As(err, &me):
		printResend(e, cmd, me.RepeatabilityRequestID, me.RepeatabilityFirstSent)
	case errors.As(err, &ae) && ae.RepeatabilityRequestID != "":
		// The same flags give the same operation context: the one given,
		// or else the request ID, which the resend carries again.
		printResend(e, cmd, ae.RepeatabilityRequestID, ae.RepeatabilityFirstSent)
	case errors.As(err, &ae):
		fmt.Fprintf(e.stderr, "%s: the outcome is unknown; check with 'acsmute participant', or run the same command again (%s sets a state, so a second one is harmless)\n",
			cmd, ae.Action)
	}
}

// printResend says how to resend a repeatable request whose outcome is
// unknown: the same flags plus its repeatability values.
func printResend(e env, cmd, id string, firstSent time.Time) {
	// The client sends no resend later than this.
	cutoff := firstSent.Add(client.ResendWindow)
	fmt.Fprintf(e.stderr, "%s: the outcome is unknown; check with 'acsmute participant', or resend before %s with the same flags plus: --repeatability-request-id %s --repeatability-first-sent '%s'\n",
		cmd, cutoff.UTC().Format(http.TimeFormat), id, firstSent.Format(http.TimeFormat))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
