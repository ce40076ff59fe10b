package acstest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// FuzzEmulatorRequest sends signed requests with arbitrary call IDs, bodies,
// content types and repeatability headers: the emulator must never panic
// and never answer bad input with a 5xx.
func FuzzEmulatorRequest(f *testing.F) {
	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey), Calls: map[string][]string{"call-1": {alice, bob}}})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	now := time.Now().UTC().Format(http.TimeFormat)
	f.Add("call-1", muteBody(alice, "x"), "application/json", "", "", true)
	f.Add("call-1", muteBody(bob, ""), "application/json", "0f8fad5b-d9cb-469f-a165-70867728950e", now, true)
	f.Add("a b/c:d", `{"targetParticipants":[{"kind":"phoneNumber","phoneNumber":{"value":"+1"}}]}`, "application/json", "x", "y", true)
	f.Add("call-1", `{"targetParticipants":[{}]}`, "text/plain", "", now, false)
	f.Add("", `{`, "", "0f8fad5b-d9cb-469f-a165-70867728950e", "Mon, 02 Jan 2006 15:04:05 GMT", true)
	f.Add("%zz", `{"targetParticipants":null,"operationContext":5}`, "application/json", "", "", true)
	key, _ := base64.StdEncoding.DecodeString(fakeKey)
	f.Fuzz(func(t *testing.T, callID, body, contentType, repeatID, firstSent string, sign bool) {
		u := srv.URL + "/calling/callConnections/" + url.PathEscape(callID) + "/participants:mute?api-version=" + client.APIVersion
		req, err := http.NewRequest(http.MethodPost, u, stringsReader(body))
		if err != nil {
			return
		}
		setHeader := func(k, v string) {
			if v != "" && validHeaderValue(v) {
				req.Header.Set(k, v)
			}
		}
		setHeader("Content-Type", contentType)
		setHeader("Repeatability-Request-ID", repeatID)
		setHeader("Repeatability-First-Sent", firstSent)
		if sign {
			date := time.Now().UTC().Format(http.TimeFormat)
			sum := sha256.Sum256([]byte(body))
			hash := base64.StdEncoding.EncodeToString(sum[:])
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte("POST\n" + req.URL.RequestURI() + "\n" + date + ";" + req.URL.Host + ";" + hash))
			req.Header.Set("x-ms-date", date)
			req.Header.Set("x-ms-content-sha256", hash)
			req.Header.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for bad input: %s", resp.StatusCode, b)
		}
		if resp.StatusCode != 200 && resp.Header.Get("x-ms-error-code") == "" {
			t.Fatalf("status %d without x-ms-error-code: %s", resp.StatusCode, b)
		}
	})
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
