package client_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
)

// fakeKey is an obviously fake access key ("fake-access-key-for-tests").
const fakeKey = "ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw=="

func TestParseConnectionString(t *testing.T) {
	good := []struct {
		in       string
		endpoint string
		key      string
	}{
		{"endpoint=https://r.communication.azure.com/;accesskey=" + fakeKey, "https://r.communication.azure.com/", fakeKey},
		{"Endpoint=https://r.communication.azure.com/;AccessKey=" + fakeKey, "https://r.communication.azure.com/", fakeKey},
		{"ENDPOINT=https://r.communication.azure.com/;ACCESSKEY=" + fakeKey + ";", "https://r.communication.azure.com/", fakeKey},
		{"accesskey=" + fakeKey + ";endpoint=https://r.communication.azure.com", "https://r.communication.azure.com", fakeKey},
		{" endpoint = https://r.communication.azure.com/ ; accesskey = " + fakeKey + " ", "https://r.communication.azure.com/", fakeKey},
		{"endpoint=http://127.0.0.1:8080/;accesskey=pw==", "http://127.0.0.1:8080/", "pw=="},
		{"endpoint=https://r.communication.azure.com/;accesskey=YQ==", "https://r.communication.azure.com/", "YQ=="},
	}
	for _, tt := range good {
		cs, err := client.ParseConnectionString(tt.in)
		if err != nil {
			t.Errorf("ParseConnectionString(%q): %v", tt.in, err)
			continue
		}
		if cs.Endpoint != tt.endpoint || cs.AccessKey() != tt.key {
			t.Errorf("ParseConnectionString(%q) = %q, %q; want %q, %q", tt.in, cs.Endpoint, cs.AccessKey(), tt.endpoint, tt.key)
		}
	}

	bad := []struct {
		in      string
		mention string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"accesskey=" + fakeKey, "no endpoint"},
		{"endpoint=https://r.communication.azure.com/", "no accesskey"},
		{"endpoint=;accesskey=" + fakeKey, "endpoint is empty"},
		{"endpoint=https://r.communication.azure.com/;accesskey=", "accesskey is empty"},
		{"endpoint=https://r.communication.azure.com/;accesskey=not*base64", "not valid base64"},
		{"endpoint=https://r.communication.azure.com/;accesskey=YQ", "not valid base64"},
		{"endpoint=https://a/;endpoint=https://b/;accesskey=" + fakeKey, "endpoint more than once"},
		{"endpoint=https://a/;accesskey=" + fakeKey + ";accesskey=" + fakeKey, "accesskey more than once"},
		{"endpoint=https://a/;" + fakeKey, "part 2 has an unknown key"},
		{"endpoint=https://a/;accesskey" + fakeKey, "part 2 has an unknown key"},
		{"endpoint=https://a/;c2VjcmV0", "part 2 has no '='"},
		{"endpoint=https://a/;accesskey=" + fakeKey + ";region=eu", "part 3 has an unknown key"},
		{"endpoint=https://a/;=x;accesskey=" + fakeKey, "part 2 has an empty key"},
		{"https://a/", "part 1 has no '='"},
	}
	for _, tt := range bad {
		_, err := client.ParseConnectionString(tt.in)
		if err == nil {
			t.Errorf("ParseConnectionString(%q) succeeded", tt.in)
			continue
		}
		if !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("ParseConnectionString(%q) error does not match ErrInvalidInput", tt.in)
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("ParseConnectionString(%q) = %q, want it to mention %q", tt.in, err, tt.mention)
		}
		if strings.Contains(err.Error(), strings.TrimRight(fakeKey, "=")) || strings.Contains(err.Error(), "not*base64") {
			t.Errorf("error %q repeats the key", err)
		}
	}
}

func TestConnectionStringHidesKey(t *testing.T) {
	cs, err := client.ParseConnectionString("endpoint=https://r.communication.azure.com/;accesskey=" + fakeKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{cs.String(), cs.GoString(), sprintf("%v", cs), sprintf("%+v", cs), sprintf("%#v", cs), sprintf("%s", cs)} {
		if strings.Contains(s, fakeKey) {
			t.Errorf("%q shows the key", s)
		}
		if !strings.Contains(s, "https://r.communication.azure.com/") {
			t.Errorf("%q does not show the endpoint", s)
		}
	}
}

// A connection string that is nothing but a pair of quotes is told to lose
// them, as a quoted one is.
func TestConnectionStringOfTwoQuotes(t *testing.T) {
	for _, s := range []string{`""`, `''`, "``"} {
		if _, err := client.ParseConnectionString(s); err == nil || !strings.Contains(err.Error(), "quotes") {
			t.Errorf("ParseConnectionString(%s) = %v, want an error about quotes", s, err)
		}
	}
}

// %#v of a ConnectionString is its GoString.
func TestConnectionStringGoSyntax(t *testing.T) {
	cs, _ := client.ParseConnectionString("endpoint=https://r.example/;accesskey=" + fakeKey)
	if got := fmt.Sprintf("%#v", cs); got != cs.GoString() || !strings.Contains(got, "client.ConnectionString{") {
		t.Errorf("%%#v = %q", got)
	}
}

func TestQuotedConnectionString(t *testing.T) {
	for _, q := range []string{`"`, `'`, "`"} {
		_, err := client.ParseConnectionString(q + "endpoint=https://r.communication.azure.com/;accesskey=ZmFrZQ==" + q)
		if !errors.Is(err, client.ErrInvalidInput) || !strings.Contains(err.Error(), "quotes") || strings.Contains(err.Error(), "ZmFrZQ") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
