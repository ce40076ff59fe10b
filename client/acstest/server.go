// Package acstest is an in-process emulator of the Azure Communication
// Services Call Automation operations acsmute covers (muting, holding,
// unholding and removing a participant, reading one back, listing a call's
// participants) and of the callbacks the service posts, for tests of code
// that moderates calls, in the spirit of net/http/httptest.
//
// A Server is a real HTTP server on a loopback address. It holds calls and
// their participants (muted or not, on hold or not), and answers
// POST /calling/callConnections/{id}/participants:mute,
// POST /calling/callConnections/{id}:hold and :unhold,
// POST /calling/callConnections/{id}/participants:remove,
// GET /calling/callConnections/{id}/participants/{rawId} and
// GET /calling/callConnections/{id}/participants (in pages) as the service
// does: it checks HMAC-SHA256 signatures (or configured bearer tokens),
// validates requests against the project's OpenAPI document as it stands
// for the request's API version (2024-09-15, 2025-06-15 or 2026-03-12:
// client.SupportedAPIVersions), answers reads in that version's form, honours
// the repeatability headers of mute and remove (replaying the first answer
// to a resent request without executing it again), and answers errors as
// CommunicationErrorResponse bodies with an x-ms-error-code header.
//
// Like the service, it decides by the participant's raw ID rather than by
// the kind a request claims: it mutes Communication Services users (Teams
// Phone extension users included) only; it holds and unholds those and
// phone numbers; it removes anyone. A mute takes exactly one target per
// request: the official SDKs' generally available versions never send more
// (Java replaced its multi-target muteParticipants with single-target
// muteParticipant), so any other count is answered as an invalid
// TargetParticipants collection. A remove is answered 202, takes the
// participant out of the call, and posts RemoveParticipantSucceeded (or,
// when FailRemove arranged it, RemoveParticipantFailed) to the request's
// operationCallbackUri or Options.CallbackURL.
//
// Faults (error statuses, dropped connections, latency) can be injected, and
// everything it saw can be inspected. A Server is safe for concurrent use,
// and bounded: it forgets repeatability IDs after their window, keeps a
// bounded request log, and bounds how long a request may take to arrive.
//
//	func TestMute(t *testing.T) {
//		srv := acstest.Start(t, &acstest.Options{
//			Calls: map[string][]string{"call-1": {"8:acs:r_alice", "8:acs:r_bob"}},
//		})
//		c := srv.Client()
//		...
//	}
package acstest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
)

// Options configures a Server. The zero value is ready to use. Printing
// (with any fmt verb, bad ones such as %p included), marshalling or logging
// Options shows none of its Credentials, which it holds behind a pointer.
type Options struct {
	// Addr is the address to listen on. Empty means "127.0.0.1:0", a free
	// port on the IPv4 loopback address.
	Addr string

	// Credentials are what requests may be authenticated with
	// (NewCredentials). Nil means a random 32-byte access key and no bearer
	// tokens.
	Credentials *Credentials

	// Calls are the call connections the server starts with: call ID to the
	// raw IDs of its participants, all unmuted.
	Calls map[string][]string

	// Now is the server's clock. Nil means time.Now.
	Now func() time.Time

	// MaxClockSkew is how far x-ms-date may be from the server's clock.
	// Zero means 15 minutes, as the service allows.
	MaxClockSkew time.Duration

	// RepeatabilityWindow is how long a Repeatability-Request-ID is
	// remembered and how old Repeatability-First-Sent may be. Zero means 5
	// minutes, as the service documents.
	RepeatabilityWindow time.Duration

	// Logger, when set, receives one record per request. Authorization
	// values are never logged.
	Logger *slog.Logger

	// MaxRequests bounds the request log behind Requests: once more have
	// arrived, only the most recent MaxRequests are kept. Zero means 10,000.
	// MaxRequestBytes bounds the bodies the log keeps, in all: past it, the
	// oldest bodies are let go (Request.BodyDropped). Zero means 64 MiB.
	MaxRequests     int
	MaxRequestBytes int

	// ReadTimeout bounds reading a whole request, headers and body, so that
	// a client sending slowly cannot hold a connection. Zero means 30
	// seconds.
	ReadTimeout time.Duration

	// CallbackURL, when set, is the call's callback URL: where the server
	// posts a Microsoft.Communication.ParticipantsUpdated event (a JSON
	// array of one CloudEvent, as the service posts them) after every
	// change of a call's participants or their state (an executed mute,
	// hold, unhold or remove, SetMuted, SetOnHold, RemoveParticipant), the
	// outcome events of requests that name no operationCallbackUri
	// (RemoveParticipantSucceeded, RemoveParticipantFailed, HoldFailed), and
	// CallDisconnected when RemoveCall ends a call. A request's
	// operationCallbackUri receives its own outcome event instead, whether
	// or not CallbackURL is set. Each post carries "Authorization: Bearer"
	// and a JWT signed (RS256) with the server's own key: issuer the
	// server's URL, audience ResourceID(), valid for 5 minutes by Now. The
	// keys are served at URL+PathCallbackKeys, the OpenID configuration
	// beside them, so that callback.NewVerifier(srv.ResourceID(),
	// &callback.VerifierOptions{Issuer: srv.URL, KeysURL: srv.URL +
	// acstest.PathCallbackKeys}) verifies them. Events are posted in the
	// order they were made, from one goroutine, never delaying an answer; a
	// failed post is retried twice; Deliveries records them. Posts go one
	// at a time whatever their destination, so a destination that does not
	// answer (each post is bounded to 10 seconds) delays the posts after it;
	// SetDeliveryFaultFunc makes delivery misbehave on purpose.
	CallbackURL string

	// ResourceID is the ID of the emulated Communication Services resource:
	// the audience of the callback tokens the server signs (ResourceID).
	// Empty means a random UUID, new for each server; set it to keep one
	// across restarts. It must be printable, without spaces, at most 256
	// bytes.
	ResourceID string

	// AdminToken, when set, serves the admin API under /admin/v1/ on the
	// server's own origin, for tests written in any language: requests must
	// carry "Authorization: Bearer <AdminToken>" (see admin.go and the
	// guide). Empty means no admin API: its paths answer 404 like any other
	// path the service does not have.
	AdminToken string

	// ParticipantsPageSize is how many participants one page of the list
	// operation holds. Zero means 100: the service does not document its
	// page size, so this is a guess; a client must follow nextLink whatever
	// the size.
	ParticipantsPageSize int
}

// DefaultParticipantsPageSize is the page size of the list operation when
// Options.ParticipantsPageSize is zero (a guess: the service does not
// document its own).
const DefaultParticipantsPageSize = 100

// Credentials are the access key and bearer tokens a Server accepts. Make
// them with NewCredentials. They keep the values behind a pointer, so that
// no fmt verb (bad ones such as %p included) prints them, whether a
// Credentials or a struct holding one is printed; encoders and loggers get
// the redacted form.
type Credentials struct {
	// Each secret behind a pointer to a string: fmt prints the address of
	// such a pointer inside a value, never what it points to.
	key    *string
	tokens []*string
}

type credentialValues struct {
	accessKey    string
	bearerTokens []string
}

// NewCredentials returns credentials with the base64 access key requests
// must be signed with (empty means a random 32-byte key) and the tokens
// accepted in "Authorization: Bearer <token>".
func NewCredentials(accessKey string, bearerTokens ...string) *Credentials {
	c := &Credentials{key: &accessKey}
	for _, t := range bearerTokens {
		c.tokens = append(c.tokens, &t)
	}
	return c
}

func (c Credentials) values() credentialValues {
	var v credentialValues
	if c.key != nil {
		v.accessKey = *c.key
	}
	for _, t := range c.tokens {
		v.bearerTokens = append(v.bearerTokens, *t)
	}
	return v
}

// String describes the credentials without revealing them.
func (c Credentials) String() string {
	v := c.values()
	return fmt.Sprintf("acstest.Credentials{AccessKey: %s, BearerTokens: %d REDACTED}", redacted(v.accessKey), len(v.bearerTokens))
}

// GoString is String.
func (c Credentials) GoString() string { return c.String() }

// Format writes String for every verb it is called for.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer with String.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalText returns String, so that encoders never write the secrets.
func (c Credentials) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// credentials returns the options' credentials, or none.
func (o Options) credentials() credentialValues {
	if o.Credentials == nil {
		return credentialValues{}
	}
	return o.Credentials.values()
}

// String describes the options without the key and tokens.
func (o Options) String() string {
	cr := o.credentials()
	return fmt.Sprintf("acstest.Options{Addr: %q, AccessKey: %s, BearerTokens: %d REDACTED, Calls: %d}",
		o.Addr, redacted(cr.accessKey), len(cr.bearerTokens), len(o.Calls))
}

// GoString is String.
func (o Options) GoString() string { return o.String() }

// Format writes String for every verb.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue implements slog.LogValuer with String.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// MarshalText returns String, so that encoders never write the secrets.
func (o Options) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "REDACTED"
}

// Participant is one participant of an emulated call.
type Participant struct {
	RawID  string
	Muted  bool
	OnHold bool
}

// member is a participant's state in a call.
type member struct {
	muted, onHold bool
}

// Server is a running emulator. Create it with NewServer and stop it with
// Close.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:<port>".
	URL string

	secrets   *secrets // behind a pointer, so that no fmt verb prints them
	now       func() time.Time
	skew      time.Duration
	window    time.Duration
	logger    *slog.Logger
	validator *validator
	pageSize  int

	resourceID string
	signing    signing
	callbacks  *callbacks
	adminToken *string // nil: no admin API; a pointer, so that no fmt verb prints it

	// inFlight counts requests being handled; peakInFlight is its highest
	// value.
	inFlight, peakInFlight atomic.Int64

	listener net.Listener
	http     *http.Server
	wg       sync.WaitGroup
	// closing is closed when the server closes: latencies end then.
	closing   chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	calls       map[string]*call
	requests    boundedLog[Request]
	maxRequests int
	repeats     repeatStore
	executions  map[string]int // per repeatability ID, forgotten with it
	// totalExecutions counts every write that ran.
	totalExecutions int
	// failures are the asynchronous failures FailRemove and FailHold
	// arranged, by operation, call and participant.
	failures   map[failureKey]ResultInformation
	faults     []Fault
	readFaults []Fault
	writeSeq   int // write requests so far, for SetFaultFunc
	faultFunc  func(seq int) *Fault
	latency    time.Duration
	seq        int
}

type call struct {
	order        []string
	participants map[string]*member // raw ID -> state
	joined       map[string]int     // raw ID -> join number, from 1, in order
	nextJoin     int                // the last join number given

	// For its events.
	serverCallID, correlationID string
	sequence                    int
	version                     string // API version of the last executed request; its events' wire form
}

// NewServer starts an emulator listening on opts.Addr (a loopback address by
// default). opts may be nil.
func NewServer(opts *Options) (*Server, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &Server{
		secrets:    &secrets{tokens: append([]string(nil), opts.credentials().bearerTokens...)},
		now:        opts.Now,
		skew:       opts.MaxClockSkew,
		window:     opts.RepeatabilityWindow,
		logger:     opts.Logger,
		calls:      map[string]*call{},
		closing:    make(chan struct{}),
		repeats:    newRepeatStore(),
		executions: map[string]int{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.ParticipantsPageSize < 0 {
		return nil, errors.New("acstest: ParticipantsPageSize must not be negative")
	}
	s.pageSize = opts.ParticipantsPageSize
	if s.pageSize == 0 {
		s.pageSize = DefaultParticipantsPageSize
	}
	s.maxRequests = opts.MaxRequests
	if s.maxRequests <= 0 {
		s.maxRequests = 10_000
	}
	maxRequestBytes := opts.MaxRequestBytes
	if maxRequestBytes <= 0 {
		maxRequestBytes = 64 << 20
	}
	s.requests = boundedLog[Request]{max: s.maxRequests, maxBytes: maxRequestBytes,
		body: func(r *Request) *[]byte { return &r.Body }, letGo: func(r *Request) { r.BodyDropped = true }}
	readTimeout := opts.ReadTimeout
	if readTimeout <= 0 {
		readTimeout = 30 * time.Second
	}
	if s.skew <= 0 {
		s.skew = 15 * time.Minute
	}
	if s.window <= 0 {
		s.window = client.RepeatabilityWindow
	}
	for _, tok := range s.secrets.tokens {
		if tok == "" {
			return nil, errors.New("acstest: empty bearer token")
		}
	}
	s.secrets.accessKey = opts.credentials().accessKey
	if s.secrets.accessKey == "" {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, fmt.Errorf("acstest: making an access key: %w", err)
		}
		s.secrets.accessKey = base64.StdEncoding.EncodeToString(k)
	}
	key, err := base64.StdEncoding.DecodeString(s.secrets.accessKey)
	if err != nil || len(key) == 0 {
		return nil, errors.New("acstest: access key is not valid base64")
	}
	s.secrets.key = key
	s.resourceID = opts.ResourceID
	if s.resourceID == "" {
		s.resourceID = uuid.NewString()
	}
	if len(s.resourceID) > 256 || !utf8.ValidString(s.resourceID) || strings.IndexFunc(s.resourceID, func(r rune) bool { return r <= ' ' || !unicode.IsPrint(r) }) >= 0 {
		return nil, errors.New("acstest: ResourceID must be printable UTF-8, without spaces, at most 256 bytes")
	}
	if opts.CallbackURL != "" && !callbackURLOK(opts.CallbackURL) {
		return nil, errors.New("acstest: CallbackURL is not an absolute http(s) URL")
	}
	if opts.AdminToken != "" {
		if len(opts.AdminToken) < 16 || strings.IndexFunc(opts.AdminToken, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
			return nil, errors.New("acstest: AdminToken must be at least 16 printable ASCII characters without spaces")
		}
		s.adminToken = &opts.AdminToken
	}
	s.failures = map[failureKey]ResultInformation{}
	for id, parts := range opts.Calls {
		if err := s.AddCall(id, parts...); err != nil {
			return nil, err
		}
	}
	s.validator = newValidator()

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("acstest: listening on %s: %w", addr, err)
	}
	s.listener = l
	s.URL = "http://" + localAddr(l.Addr())
	// Callbacks can be posted without Options.CallbackURL too: to the
	// operationCallbackUri of a request.
	s.callbacks = newCallbacks(opts.CallbackURL, s.maxRequests, s.logger)
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: min(10*time.Second, readTimeout),
		ReadTimeout:       readTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(l)
	}()
	s.wg.Go(s.runCallbacks)
	return s, nil
}

// localAddr is the address a local client reaches a listener at: an
// unspecified address (0.0.0.0 or ::, listening on every interface) is
// reached on loopback.
func localAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// Start starts a server for a test, like httptest.NewServer: it fails the
// test if the server cannot start, and closes it when the test ends. opts
// may be nil. When the test ends it logs (t.Log) the callbacks that were
// not delivered, the first ten of them, so that a receiver that refused
// them (a handler mounted at another path than the URL posted to, say)
// does not go unnoticed.
func Start(t testing.TB, opts *Options) *Server {
	t.Helper()
	s, err := NewServer(opts)
	if err != nil {
		t.Fatalf("acstest.Start: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		logUndelivered(t, s.Deliveries())
	})
	return s
}

// logUndelivered logs the first ten deliveries that were not delivered,
// and how many there were.
func logUndelivered(t testing.TB, ds []Delivery) {
	n := 0
	for _, d := range ds {
		if d.Delivered || d.Duplicate {
			continue
		}
		n++
		if n <= 10 {
			t.Logf("acstest: callback %d (%s) to %s not delivered: %d attempts, status %d %s", d.Seq, d.Type, RedactURL(d.URL), d.Attempts, d.Status, redactURLsIn(d.Err, d.URL))
		}
	}
	if n > 10 {
		t.Logf("acstest: %d callbacks not delivered in all", n)
	}
}

// Client returns a client for this server, like httptest.Server.Client: it
// signs with the server's key, speaks the default API version
// (client.APIVersion) and retries with delays short enough for tests (10ms,
// growing to at most 100ms; 5s per attempt). NewClient makes one with other
// options.
func (s *Server) Client() *client.Client {
	c, err := s.NewClient(nil)
	if err != nil {
		// Cannot happen: the server made the connection string itself.
		panic("acstest: the server's own connection string is refused: " + err.Error())
	}
	return c
}

// NewClient returns a client for this server with opts (which may be nil):
// it signs with the server's key and allows http; a zero opts.Retry means
// Client's short test delays. Use it to choose an API version:
//
//	c, err := srv.NewClient(&client.ClientOptions{APIVersion: "2026-03-12"})
//
// Its only errors are those of client.NewClient for opts.
func (s *Server) NewClient(opts *client.ClientOptions) (*client.Client, error) {
	o := client.ClientOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Retry == (client.RetryOptions{}) {
		o.Retry = client.RetryOptions{RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 100 * time.Millisecond, TryTimeout: 5 * time.Second}
	}
	o.InsecureAllowHTTP = true // the emulator speaks http, wherever it listens
	return client.NewClientFromConnectionString(s.ConnectionString(), &o)
}

// Close stops the server at once, closing open connections and giving up
// on callbacks not yet posted; no goroutine of it is left behind.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	_ = s.http.Close()
	s.callbacks.close()
	s.wg.Wait()
	s.callbacks.transport.CloseIdleConnections()
}

// Shutdown stops the server gracefully: it stops accepting connections and
// waits for requests in flight to finish and callbacks to be posted, or for
// ctx to end.
//
// Callbacks are posted while the server still serves its keys, so that a
// receiver that has not fetched them yet can verify them.
func (s *Server) Shutdown(ctx context.Context) error {
	werr := s.WaitForDeliveries(ctx)
	err := s.http.Shutdown(ctx)
	if werr == nil {
		// Events of the requests that were still in flight.
		werr = s.WaitForDeliveries(ctx)
	}
	if err == nil {
		err = werr
	}
	// Requests still pausing (when ctx ended first) end now.
	s.closeOnce.Do(func() { close(s.closing) })
	s.callbacks.close()
	s.wg.Wait()
	s.callbacks.transport.CloseIdleConnections()
	return err
}

// AccessKey returns the base64 access key the server verifies signatures with.
func (s *Server) AccessKey() string { return s.secrets.accessKey }

// ConnectionString returns "endpoint=<URL>/;accesskey=<key>" for the server.
func (s *Server) ConnectionString() string {
	return "endpoint=" + s.URL + "/;accesskey=" + s.secrets.accessKey
}

// String describes the server without its key.
func (s *Server) String() string { return "acstest.Server(" + s.URL + ")" }

// GoString describes the server without its key.
func (s *Server) GoString() string { return "&acstest.Server{URL: " + strconv.Quote(s.URL) + "}" }

// Format writes String for every verb (GoString for %#v), so that no fmt
// verb prints the server's key or tokens.
func (s *Server) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue implements slog.LogValuer without the server's key.
func (s *Server) LogValue() slog.Value { return slog.StringValue(s.String()) }

// secrets are what a Server checks credentials against.
type secrets struct {
	accessKey string
	key       []byte
	tokens    []string
}

// AddCall adds (or replaces) a call connection with the given participants,
// all unmuted and not on hold. Participants must be valid raw IDs; a raw ID
// given twice is one participant. Adding a call posts no event. Replacing
// one is a change of its participants: it keeps the call's server call ID,
// correlation ID and sequence numbers, and with a callback URL posts
// ParticipantsUpdated with the next sequence number, so that a receiver
// keeping the largest takes the new state. Nothing changes when it fails.
func (s *Server) AddCall(callID string, participants ...string) error {
	specs := make([]participantSpec, len(participants))
	for i, p := range participants {
		specs[i].rawID = p
	}
	c, err := newCall(callID, specs)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.putCallLocked(callID, c)
	return err
}

// participantSpec is a participant of a call to make, with its state.
type participantSpec struct {
	rawID         string
	muted, onHold bool
}

// putCallLocked installs call c as callID, replacing any call of that ID as
// AddCall says, and reports whether it was created (rather than replaced).
// s.mu must be held.
func (s *Server) putCallLocked(callID string, c *call) (created bool, err error) {
	old, replaced := s.calls[callID]
	if !replaced && len(s.calls) >= MaxCalls {
		return false, fmt.Errorf("acstest: the server holds %d calls already, its limit", MaxCalls)
	}
	if replaced {
		c.serverCallID, c.correlationID, c.sequence, c.version = old.serverCallID, old.correlationID, old.sequence, old.version
	}
	s.calls[callID] = c
	if s.failures != nil {
		s.forgetFailuresLocked(callID)
	}
	if replaced {
		s.eventLocked(callID, c)
	}
	return !replaced, nil
}

// newCall makes a call of participants in their states; a raw ID given
// twice is one participant, in its last state.
func newCall(callID string, participants []participantSpec) (*call, error) {
	if err := checkCallID(callID); err != nil {
		return nil, err
	}
	if len(participants) > MaxParticipantsPerCall {
		return nil, fmt.Errorf("acstest: call %q has more than %d participants", callID, MaxParticipantsPerCall)
	}
	c := &call{participants: map[string]*member{}, joined: map[string]int{}, serverCallID: uuid.NewString(), correlationID: uuid.NewString(), version: client.APIVersion}
	for _, p := range participants {
		if _, err := client.ParseRawID(p.rawID); err != nil {
			return nil, fmt.Errorf("acstest: call %q: %w", callID, err)
		}
		if _, dup := c.participants[p.rawID]; !dup {
			c.order = append(c.order, p.rawID)
			c.nextJoin++
			c.joined[p.rawID] = c.nextJoin
		}
		c.participants[p.rawID] = &member{muted: p.muted, onHold: p.onHold}
	}
	return c, nil
}

// Bounds of what a server holds, so that a shared emulator stays small.
const (
	// MaxCalls is how many calls a server holds at once.
	MaxCalls = 10_000
	// MaxParticipantsPerCall is how many participants one call holds (the
	// service's own limit is a few hundred).
	MaxParticipantsPerCall = 10_000
)

// checkCallID checks a call connection ID the server is given: not empty,
// at most 256 bytes of UTF-8, no space, control or formatting character,
// and not "." or ".." (which no request path can name).
func checkCallID(id string) error {
	switch {
	case id == "":
		return errors.New("acstest: empty call ID")
	case len(id) > 256:
		return errors.New("acstest: the call ID is longer than 256 bytes")
	case id == "." || id == "..":
		return errors.New(`acstest: the call ID cannot be "." or "..", which no request path can name`)
	case !utf8.ValidString(id) || strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0:
		return errors.New("acstest: the call ID has a space, a control or a formatting character, or is not UTF-8")
	}
	return nil
}

// CallState is a call as the server holds it (Call).
type CallState struct {
	// CallID is the call connection ID.
	CallID string
	// Participants are the call's participants in the order they joined.
	Participants []Participant
	// SequenceNumber is the sequenceNumber of the call's last
	// ParticipantsUpdated event; 0 before the first.
	SequenceNumber int
}

// Call returns a call's state, and whether the call exists.
func (s *Server) Call(callID string) (CallState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[callID]
	if !ok {
		return CallState{}, false
	}
	return c.state(callID), true
}

// state is a copy of the call's state. s.mu must be held.
func (c *call) state(callID string) CallState {
	out := CallState{CallID: callID, SequenceNumber: c.sequence, Participants: make([]Participant, 0, len(c.order))}
	for _, id := range c.order {
		m := c.participants[id]
		out.Participants = append(out.Participants, Participant{RawID: id, Muted: m.muted, OnHold: m.onHold})
	}
	return out
}

// SetCallbackURL sets the calls' callback URL (Options.CallbackURL) at any
// time, even before the receiver it names has started: events made from
// then on go there. Empty stops posting them (a request's operation callback
// URL still gets its outcome events). It fails, changing nothing, unless
// url is empty or an absolute http(s) URL.
func (s *Server) SetCallbackURL(url string) error {
	if url != "" && !callbackURLOK(url) {
		return errors.New("acstest: the callback URL is not an absolute http(s) URL")
	}
	s.mu.Lock()
	s.callbacks.url = url
	s.mu.Unlock()
	return nil
}

// CallbackURL returns the calls' callback URL, "" when none is set.
func (s *Server) CallbackURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callbacks.url
}

// VerifierOptions returns the options that verify the server's callbacks:
// its URL as the issuer, and the keys it publishes. Use them with the
// server's resource ID as the audience:
//
//	v, err := callback.NewVerifier(srv.ResourceID(), srv.VerifierOptions())
func (s *Server) VerifierOptions() *callback.VerifierOptions {
	return &callback.VerifierOptions{Issuer: s.URL, KeysURL: s.URL + PathCallbackKeys}
}

// SetMuted sets whether a participant is muted, as when the participant
// unmutes themselves; for tests of code that verifies or re-mutes. It
// fails if the call does not have that participant.
func (s *Server) SetMuted(callID, rawID string, muted bool) error {
	_, err := s.setState(callID, rawID, &muted, nil)
	return err
}

// setState sets what of a participant's state is given (nil: unchanged),
// posts one ParticipantsUpdated and returns the participant as it is now.
func (s *Server) setState(callID, rawID string, muted, onHold *bool) (Participant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.callWith(callID, rawID)
	if err != nil {
		return Participant{}, err
	}
	m := c.participants[rawID]
	if muted != nil {
		m.muted = *muted
	}
	if onHold != nil {
		m.onHold = *onHold
	}
	s.eventLocked(callID, c)
	return Participant{RawID: rawID, Muted: m.muted, OnHold: m.onHold}, nil
}

// SetOnHold sets whether a participant is on hold, as when another
// application holds or unholds them; for tests of code that reads hold
// states. It posts ParticipantsUpdated like SetMuted, and fails if the call
// does not have that participant.
func (s *Server) SetOnHold(callID, rawID string, onHold bool) error {
	_, err := s.setState(callID, rawID, nil, &onHold)
	return err
}

// callWith returns the call, if it has that participant. s.mu must be held.
func (s *Server) callWith(callID, rawID string) (*call, error) {
	c, ok := s.calls[callID]
	if !ok {
		return nil, fmt.Errorf("acstest: %w %q", errNoCall, callID)
	}
	if _, ok := c.participants[rawID]; !ok {
		return nil, fmt.Errorf("acstest: call %q %w %q", callID, errNoParticipant, rawID)
	}
	return c, nil
}

// The errors the admin API tells apart (as 404 and 409).
var (
	errNoCall        = errors.New("no call")
	errNoParticipant = errors.New("has no participant")
	errAlreadyIn     = errors.New("has the participant already")
)

// AddParticipant adds a participant to a call, unmuted and not on hold, as
// when they join; with Options.CallbackURL it posts ParticipantsUpdated with
// the call's next sequence number. It fails if the call does not exist, the
// raw ID is not one, or the participant is in the call already.
func (s *Server) AddParticipant(callID, rawID string) error {
	if _, err := client.ParseRawID(rawID); err != nil {
		return fmt.Errorf("acstest: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[callID]
	if !ok {
		return fmt.Errorf("acstest: %w %q", errNoCall, callID)
	}
	if _, in := c.participants[rawID]; in {
		return fmt.Errorf("acstest: call %q %w: %q", callID, errAlreadyIn, rawID)
	}
	if len(c.order) >= MaxParticipantsPerCall {
		return fmt.Errorf("acstest: call %q has %d participants already, its limit", callID, MaxParticipantsPerCall)
	}
	c.participants[rawID] = &member{}
	c.order = append(c.order, rawID)
	c.nextJoin++
	c.joined[rawID] = c.nextJoin
	s.eventLocked(callID, c)
	return nil
}

// RemoveParticipant takes a participant out of a call, as when they leave;
// later mutes of them answer 400 ParticipantNotInCall and reads 404. It
// fails if the call does not have that participant.
func (s *Server) RemoveParticipant(callID, rawID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.callWith(callID, rawID)
	if err != nil {
		return err
	}
	s.removeLocked(c, rawID)
	s.eventLocked(callID, c)
	return nil
}

// removeLocked takes a participant out of call c, with the failures
// arranged for them. s.mu must be held.
func (s *Server) removeLocked(c *call, rawID string) {
	delete(c.participants, rawID)
	delete(c.joined, rawID)
	c.order = slices.DeleteFunc(c.order, func(id string) bool { return id == rawID })
	for k := range s.failures {
		if k.rawID == rawID && s.calls[k.callID] == c {
			delete(s.failures, k)
		}
	}
}

// forgetFailuresLocked drops the failures arranged in a call. s.mu must be
// held.
func (s *Server) forgetFailuresLocked(callID string) {
	for k := range s.failures {
		if k.callID == callID {
			delete(s.failures, k)
		}
	}
}

// failureKey names the asynchronous failure arranged for one operation on
// one participant of one call.
type failureKey struct {
	op            operation
	callID, rawID string
}

// FailRemove makes the next remove of participant rawID from call callID
// fail after the server has accepted it, as the service may: the request is
// answered 202 as usual, the participant stays in the call, and a
// RemoveParticipantFailed event with result (its operationContext the
// request's) is posted where the success would have been. A zero result
// means code 500 and a message saying the failure was asked for. It fails
// if the call does not have that participant, or a code does not fit in 32
// bits.
func (s *Server) FailRemove(callID, rawID string, result ResultInformation) error {
	return s.arrangeFailure(opRemove, callID, rawID, result)
}

// FailHold makes the next hold of participant rawID in call callID fail
// after the server has answered it, as when the service cannot play the
// hold prompt: the request is answered 200, the participant is not put on
// hold, and a HoldFailed event with result is posted. A zero result means
// code 500. It fails as FailRemove does.
func (s *Server) FailHold(callID, rawID string, result ResultInformation) error {
	return s.arrangeFailure(opHold, callID, rawID, result)
}

func (s *Server) arrangeFailure(op operation, callID, rawID string, result ResultInformation) error {
	for _, code := range []int{result.Code, result.SubCode} {
		if code < math.MinInt32 || code > math.MaxInt32 {
			return fmt.Errorf("acstest: result code %d does not fit in 32 bits", code)
		}
	}
	if result == (ResultInformation{}) {
		result = resultFailed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.callWith(callID, rawID); err != nil {
		return err
	}
	s.failures[failureKey{op, callID, rawID}] = result
	return nil
}

// takeFailure returns, and forgets, the failure arranged for an operation
// on a participant. s.mu must be held.
func (s *Server) takeFailure(op operation, callID, rawID string) (ResultInformation, bool) {
	k := failureKey{op, callID, rawID}
	r, ok := s.failures[k]
	delete(s.failures, k)
	return r, ok
}

// RemoveCall ends a call connection, as when the call hangs up: later
// requests about it answer 404, and, with Options.CallbackURL, a
// CallDisconnected event is posted.
func (s *Server) RemoveCall(callID string) {
	s.removeCall(callID)
}

// removeCall is RemoveCall, reporting whether there was such a call.
func (s *Server) removeCall(callID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[callID]
	if !ok {
		return false
	}
	delete(s.calls, callID)
	s.forgetFailuresLocked(callID)
	s.outcomeLocked(callID, c, outcome{typ: typeCallDisconnected, result: resultDisconnected})
	return true
}

// CallIDs returns the IDs of the calls, sorted.
func (s *Server) CallIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.calls))
	for id := range s.calls {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Participants returns the participants of a call in the order they were
// added, and whether the call exists.
func (s *Server) Participants(callID string) ([]Participant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[callID]
	if !ok {
		return nil, false
	}
	return c.state(callID).Participants, true
}

// IsMuted reports whether a participant of a call is muted, and whether the
// call has that participant at all.
func (s *Server) IsMuted(callID, rawID string) (muted, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, found := s.calls[callID]
	if !found {
		return false, false
	}
	m, ok := c.participants[rawID]
	return ok && m.muted, ok
}

// IsOnHold reports whether a participant of a call is on hold, and whether
// the call has that participant at all.
func (s *Server) IsOnHold(callID, rawID string) (onHold, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, found := s.calls[callID]
	if !found {
		return false, false
	}
	m, ok := c.participants[rawID]
	return ok && m.onHold, ok
}

// Executions returns how many times the server executed a mute or a remove
// for a Repeatability-Request-ID: requests that ran, not replayed answers
// nor requests the service refused (an unknown call, a participant not in
// it or of another kind). The count is forgotten with the ID, once the
// repeatability window after its First-Sent has passed.
func (s *Server) Executions(requestID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.executions[requestID]
}

// TotalExecutions returns how many requests that change a call (mute,
// hold, unhold, remove) the server executed in all, as Executions counts
// them.
func (s *Server) TotalExecutions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalExecutions
}

// PeakInFlight returns the highest number of requests the server has been
// handling at once (from reading the request to writing the answer), for
// tests of a client's concurrency.
func (s *Server) PeakInFlight() int { return int(s.peakInFlight.Load()) }
