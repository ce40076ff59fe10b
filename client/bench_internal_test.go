package client

import (
	"net/http"
	"testing"
	"time"
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
