package client

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/gen"
)

func BenchmarkSign(b *testing.B) {
	cred, err := NewKeyCredential("ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw==")
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, "https://r.communication.azure.com/calling/callConnections/18dea47f-b081-4107-9a5c-4300819d2c6c/participants:mute?api-version=2024-09-15", nil)
	hash := contentHash([]byte(`{"targetParticipants":[]}`))
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if err := cred.authorize(b.Context(), req, hash, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGeneratedBuildAndParse measures what the generated client costs
// per call: building the mute request (URL, query, headers, JSON body) and
// parsing a 200 answer. Compare with BenchmarkMuteParticipant.
func BenchmarkGeneratedBuildAndParse(b *testing.B) {
	id := uuid.New()
	sent := "Sun, 29 Nov 2026 12:00:00 GMT"
	params := &gen.CallConnectionMuteParams{ApiVersion: APIVersion, RepeatabilityRequestID: &id, RepeatabilityFirstSent: &sent}
	body := gen.MuteParticipantsRequest{TargetParticipants: []gen.CommunicationIdentifierModel{CommunicationUserIdentifier{ID: "8:acs:r_u"}.model(wireVersion{name: APIVersion})}}
	answer := []byte(`{"operationContext":"ctx"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gen.NewCallConnectionMuteRequest("https://r.communication.azure.com/", "call-1", params, body); err != nil {
			b.Fatal(err)
		}
		resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(answer))}
		if _, err := gen.ParseCallConnectionMuteResponse(resp); err != nil {
			b.Fatal(err)
		}
	}
}
