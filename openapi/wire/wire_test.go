package wire_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/openapi"
	"github.com/acsmute/acsmute/openapi/wire"
)

// Every path and parameter named here is in the document, and the pieces
// the emulator routes on are parts of the paths.
func TestNamesMatchTheDocument(t *testing.T) {
	doc, err := openapi.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for path, method := range map[string]string{wire.PathMute: http.MethodPost, wire.PathHold: http.MethodPost, wire.PathUnhold: http.MethodPost,
		wire.PathRemove: http.MethodPost, wire.PathGetParticipant: http.MethodGet, wire.PathGetParticipants: http.MethodGet} {
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Fatalf("the document has no %s %s", method, path)
		}
		for _, p := range item.GetOperation(method).Parameters {
			switch p.Value.In {
			case "header":
				if http.CanonicalHeaderKey(p.Value.Name) != map[string]string{
					"Repeatability-Request-ID": wire.HeaderRepeatabilityRequestID,
					"Repeatability-First-Sent": wire.HeaderRepeatabilityFirstSent,
				}[p.Value.Name] {
					t.Errorf("header %q has no matching name here", p.Value.Name)
				}
			default:
				switch p.Value.Name {
				case wire.ParamCallConnectionID, wire.ParamParticipantRawID, wire.ParamAPIVersion:
				default:
					t.Errorf("parameter %q has no name here", p.Value.Name)
				}
			}
		}
		if !strings.HasPrefix(path, wire.PathCallConnections) {
			t.Errorf("%s does not start with %s", path, wire.PathCallConnections)
		}
	}
	if !strings.HasSuffix(wire.PathMute, wire.PathMuteSuffix) || !strings.Contains(wire.PathGetParticipant, wire.PathParticipants) ||
		!strings.HasSuffix(wire.PathGetParticipants, wire.PathListSuffix) || !strings.HasSuffix(wire.PathRemove, wire.PathRemoveSuffix) ||
		wire.PathHold != wire.PathCallConnections+"{"+wire.ParamCallConnectionID+"}"+wire.PathHoldSuffix ||
		wire.PathUnhold != wire.PathCallConnections+"{"+wire.ParamCallConnectionID+"}"+wire.PathUnholdSuffix {
		t.Error("route pieces do not match the paths")
	}
	for _, h := range []string{wire.HeaderAccept, wire.HeaderAuthorization, wire.HeaderClientRequestID, wire.HeaderContentSHA256,
		wire.HeaderContentType, wire.HeaderDate, wire.HeaderErrorCode, wire.HeaderRepeatabilityFirstSent, wire.HeaderRepeatabilityRequestID,
		wire.HeaderRepeatabilityResult, wire.HeaderRetryAfter, wire.HeaderRetryAfterMs, wire.HeaderUserAgent, wire.HeaderXMsRetryAfterMs} {
		if http.CanonicalHeaderKey(h) != h {
			t.Errorf("%q is not canonical", h)
		}
	}
}
