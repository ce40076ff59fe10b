package acstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/gen"
	"github.com/acsmute/acsmute/openapi/wire"
)

// The paths where the emulator publishes the keys it signs callbacks with,
// as the service does under its own host.
const (
	PathCallbackKeys          = "/calling/keys"
	PathOpenIDConfiguration   = "/calling/.well-known/acsopenidconfiguration"
	typeParticipantsUpdated   = "Microsoft.Communication.ParticipantsUpdated"
	callbackTokenLifetime     = 5 * time.Minute
	callbackAttempts          = 3
	callbackRetryDelay        = 50 * time.Millisecond
	callbackTimeout           = 10 * time.Second
	maxPendingCallbackEvents  = 10_000
	callbackSourcePrefix      = "calling/callConnections/"
	callbackDataContentType   = "application/json"
	callbackSpecVersion       = "1.0"
	callbackAuthorizationType = "Bearer "
)

// Delivery is one callback the server posted (or tried to), as Deliveries
// reports it.
type Delivery struct {
	// Seq numbers deliveries from 1 in the order their events were made.
	Seq int
	// CallID is the call connection the event is about.
	CallID string
	// EventID is the CloudEvent's id.
	EventID string
	// SequenceNumber is the event's sequenceNumber (per call, from 1).
	SequenceNumber int
	// Time is when the event was made, by the server's clock.
	Time time.Time
	// Body is the JSON posted: an array of one CloudEvent.
	Body []byte
	// Attempts is how many posts were made; Status is the last one's
	// status (0 when it got no answer) and Err its error, if any.
	Attempts int
	Status   int
	Err      string
	// Delivered reports whether a post was answered with a 2xx status.
	Delivered bool
}

// callbackEvent is an event waiting to be posted.
type callbackEvent struct {
	seq  int
	d    Delivery
	body []byte
}

// callbacks posts events to Options.CallbackURL, one at a time, in the
// order they were made (so per call too), from one goroutine.
type callbacks struct {
	url  string
	http *http.Client

	mu        sync.Mutex
	pending   []callbackEvent
	wake      chan struct{}
	done      []Delivery // bounded like the request log
	dropped   int
	seq       int
	idle      *sync.Cond // signalled when pending empties
	inFlight  bool
	maxRecord int

	ctx    context.Context
	cancel context.CancelFunc
}

// signing is the emulator's RSA key for callback tokens, made on first use.
type signing struct {
	once sync.Once
	key  *rsa.PrivateKey
	kid  string
	err  error
}

func (g *signing) get() (*rsa.PrivateKey, string, error) {
	g.once.Do(func() {
		g.key, g.err = rsa.GenerateKey(rand.Reader, 2048)
		g.kid = uuid.NewString()
	})
	return g.key, g.kid, g.err
}

// ResourceID returns the ID of the emulated Communication Services
// resource: the audience of the callback tokens the server signs.
func (s *Server) ResourceID() string { return s.resourceID }

// Deliveries returns the callbacks the server has posted or is posting,
// oldest first, bounded like Requests (Options.MaxRequests).
func (s *Server) Deliveries() []Delivery {
	cb := s.callbacks
	if cb == nil {
		return nil
	}
	cb.mu.Lock()
	defer cb.mu.Unlock()
	kept := cb.done[max(0, len(cb.done)-cb.maxRecord):]
	out := make([]Delivery, len(kept))
	for i, d := range kept {
		d.Body = bytes.Clone(d.Body)
		out[i] = d
	}
	return out
}

// WaitForDeliveries waits until every event made so far has been posted
// (or given up on), or ctx ends.
func (s *Server) WaitForDeliveries(ctx context.Context) error {
	cb := s.callbacks
	if cb == nil {
		return nil
	}
	stop := context.AfterFunc(ctx, func() {
		cb.mu.Lock()
		cb.idle.Broadcast()
		cb.mu.Unlock()
	})
	defer stop()
	cb.mu.Lock()
	defer cb.mu.Unlock()
	for len(cb.pending) > 0 || cb.inFlight {
		if err := ctx.Err(); err != nil {
			return err
		}
		cb.idle.Wait()
	}
	return nil
}

func newCallbacks(url string, maxRecord int) *callbacks {
	ctx, cancel := context.WithCancel(context.Background())
	cb := &callbacks{
		url:       url,
		http:      &http.Client{Timeout: callbackTimeout},
		wake:      make(chan struct{}, 1),
		maxRecord: maxRecord,
		ctx:       ctx,
		cancel:    cancel,
	}
	cb.idle = sync.NewCond(&cb.mu)
	return cb
}

// eventLocked makes a ParticipantsUpdated event of call c's state and queues
// it. s.mu must be held.
func (s *Server) eventLocked(callID string, c *call) {
	cb := s.callbacks
	if cb == nil {
		return
	}
	c.sequence++
	if c.sequence > math.MaxInt32 { // the wire form is int32
		c.sequence = 1
	}
	seq := int32(c.sequence) // #nosec G115 -- bounded just above
	data := gen.ParticipantsUpdated{
		CallConnectionId: &callID,
		ServerCallId:     &c.serverCallID,
		CorrelationId:    &c.correlationID,
		SequenceNumber:   &seq,
		Participants:     &[]gen.CallParticipant{},
	}
	for _, rawID := range c.order {
		id, err := client.ParseRawID(rawID)
		if err != nil { // AddCall accepts only valid raw IDs
			continue
		}
		muted, onHold := c.participants[rawID], false
		*data.Participants = append(*data.Participants, gen.CallParticipant{Identifier: wireIdentifier(id, c.version), IsMuted: &muted, IsOnHold: &onHold})
	}
	now := s.now()
	d := Delivery{CallID: callID, EventID: uuid.NewString(), SequenceNumber: int(seq), Time: now}
	body, err := json.Marshal([]map[string]any{{
		"id":              d.EventID,
		"source":          callbackSourcePrefix + callID,
		"type":            typeParticipantsUpdated,
		"specversion":     callbackSpecVersion,
		"time":            now.UTC().Format(time.RFC3339Nano),
		"datacontenttype": callbackDataContentType,
		"data":            data,
	}})
	if err != nil { // cannot happen: the values are plain
		return
	}
	d.Body = body
	cb.enqueue(d, body)
}

func (cb *callbacks) enqueue(d Delivery, body []byte) {
	cb.mu.Lock()
	cb.seq++
	d.Seq = cb.seq
	cb.pending = append(cb.pending, callbackEvent{seq: d.Seq, d: d, body: body})
	if len(cb.pending) > maxPendingCallbackEvents {
		lost := cb.pending[0]
		cb.pending = cb.pending[1:]
		lost.d.Err = "dropped: more than 10,000 events were waiting"
		cb.recordLocked(lost.d)
	}
	cb.mu.Unlock()
	select {
	case cb.wake <- struct{}{}:
	default:
	}
}

// recordLocked adds a finished delivery to the log. cb.mu must be held.
func (cb *callbacks) recordLocked(d Delivery) {
	if len(cb.done) >= 2*cb.maxRecord {
		n := len(cb.done) - cb.maxRecord
		cb.dropped += n
		cb.done = append([]Delivery(nil), cb.done[n:]...)
	}
	cb.done = append(cb.done, d)
}

// run posts queued events until the server closes.
func (s *Server) runCallbacks() {
	cb := s.callbacks
	for {
		cb.mu.Lock()
		if len(cb.pending) == 0 {
			cb.idle.Broadcast()
			cb.mu.Unlock()
			select {
			case <-cb.ctx.Done():
				return
			case <-cb.wake:
				continue
			}
		}
		ev := cb.pending[0]
		cb.pending = cb.pending[1:]
		cb.inFlight = true
		cb.mu.Unlock()

		d := s.post(ev)

		cb.mu.Lock()
		cb.inFlight = false
		cb.recordLocked(d)
		cb.mu.Unlock()
		if cb.ctx.Err() != nil {
			return
		}
	}
}

// post delivers one event, retrying a failed post a few times.
func (s *Server) post(ev callbackEvent) Delivery {
	cb := s.callbacks
	d := ev.d
	for attempt := 1; attempt <= callbackAttempts; attempt++ {
		if attempt > 1 {
			select {
			case <-cb.ctx.Done():
				d.Err = "not delivered: the server closed"
				return d
			case <-time.After(callbackRetryDelay * time.Duration(1<<(attempt-2))):
			}
		}
		d.Attempts = attempt
		d.Status, d.Err = 0, ""
		token, err := s.callbackToken()
		if err != nil {
			d.Err = "signing the callback token: " + err.Error()
			return d
		}
		req, err := http.NewRequestWithContext(cb.ctx, http.MethodPost, cb.url, bytes.NewReader(ev.body))
		if err != nil {
			d.Err = "the callback URL: " + err.Error()
			return d
		}
		req.Header.Set(wire.HeaderContentType, callbackDataContentType)
		req.Header.Set(wire.HeaderAuthorization, callbackAuthorizationType+token)
		resp, err := cb.http.Do(req)
		if err != nil {
			d.Err = err.Error()
			continue
		}
		_ = resp.Body.Close()
		d.Status = resp.StatusCode
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			d.Delivered = true
			return d
		}
	}
	return d
}

// callbackToken signs a token for one post: RS256 with the server's key,
// issuer the server's URL, audience its resource ID, valid for 5 minutes by
// the server's clock.
func (s *Server) callbackToken() (string, error) {
	key, kid, err := s.signing.get()
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return "", err
	}
	now := s.now()
	return jwt.Signed(signer).Claims(jwt.Claims{
		Issuer:    s.URL,
		Audience:  jwt.Audience{s.resourceID},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(callbackTokenLifetime)),
		ID:        uuid.NewString(),
	}).Serialize()
}

// keysAnswer answers the key set and OpenID configuration requests, or
// returns false for any other request.
func (s *Server) keysAnswer(r *http.Request) (answer, bool) {
	if r.Method != http.MethodGet || (r.URL.Path != PathCallbackKeys && r.URL.Path != PathOpenIDConfiguration) {
		return answer{}, false
	}
	if r.URL.Path == PathOpenIDConfiguration {
		return jsonAnswer(http.StatusOK, map[string]any{
			"issuer":                                s.URL,
			"jwks_uri":                              s.URL + PathCallbackKeys,
			"id_token_signing_alg_values_supported": []string{"RS256"},
		}), true
	}
	key, kid, err := s.signing.get()
	if err != nil {
		return errorAnswer(http.StatusInternalServerError, "InternalError", "%s", fmt.Sprint(err)), true
	}
	return jsonAnswer(http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}}), true
}
