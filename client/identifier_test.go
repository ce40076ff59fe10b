package client_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/acsmute/acsmute/client"
)

func TestParseRawID(t *testing.T) {
	tests := []struct {
		raw  string
		want client.Identifier
	}{
		{"8:acs:resource_user", client.CommunicationUserIdentifier{ID: "8:acs:resource_user"}},
		{"8:acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_00000021-1b2b-4d5a", client.CommunicationUserIdentifier{ID: "8:acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_00000021-1b2b-4d5a"}},
		{"8:acs:justone", client.CommunicationUserIdentifier{ID: "8:acs:justone"}},
		{"8:acs:a_b_c_d", client.CommunicationUserIdentifier{ID: "8:acs:a_b_c_d"}},
		{"8:spool:res_user", client.CommunicationUserIdentifier{ID: "8:spool:res_user"}},
		{"8:spool:res_tenant_user", client.CommunicationUserIdentifier{ID: "8:spool:res_tenant_user"}},
		{"8:dod-acs:res_user", client.CommunicationUserIdentifier{ID: "8:dod-acs:res_user"}},
		{"8:gcch-acs:res_user", client.CommunicationUserIdentifier{ID: "8:gcch-acs:res_user"}},
		{"8:acs:res_tenant_user", client.TeamsExtensionUserIdentifier{ResourceID: "res", TenantID: "tenant", UserID: "user", Cloud: client.CloudPublic}},
		{"8:dod-acs:res_tenant_user", client.TeamsExtensionUserIdentifier{ResourceID: "res", TenantID: "tenant", UserID: "user", Cloud: client.CloudDoD}},
		{"8:gcch-acs:res_tenant_user", client.TeamsExtensionUserIdentifier{ResourceID: "res", TenantID: "tenant", UserID: "user", Cloud: client.CloudGCCH}},
		{"4:+15551234567", client.PhoneNumberIdentifier{PhoneNumber: "+15551234567"}},
		{"4:anonymous", client.PhoneNumberIdentifier{PhoneNumber: "anonymous"}},
		{"4:+15551234567_asserted", client.PhoneNumberIdentifier{PhoneNumber: "+15551234567_asserted"}},
		{"4:207ffef6-9444-41fb-92ab-20eacaae2768", client.PhoneNumberIdentifier{PhoneNumber: "207ffef6-9444-41fb-92ab-20eacaae2768"}},
		{"8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130", client.MicrosoftTeamsUserIdentifier{UserID: "45ab2481-1c1c-4005-be24-0ffb879b1130", Cloud: client.CloudPublic}},
		{"8:dod:45ab2481", client.MicrosoftTeamsUserIdentifier{UserID: "45ab2481", Cloud: client.CloudDoD}},
		{"8:gcch:45ab2481", client.MicrosoftTeamsUserIdentifier{UserID: "45ab2481", Cloud: client.CloudGCCH}},
		{"8:teamsvisitor:45ab2481", client.MicrosoftTeamsUserIdentifier{UserID: "45ab2481", IsAnonymous: true, Cloud: client.CloudPublic}},
		{"28:orgid:45ab2481", client.MicrosoftTeamsAppIdentifier{AppID: "45ab2481", Cloud: client.CloudPublic}},
		{"28:dod:45ab2481", client.MicrosoftTeamsAppIdentifier{AppID: "45ab2481", Cloud: client.CloudDoD}},
		{"28:gcch:45ab2481", client.MicrosoftTeamsAppIdentifier{AppID: "45ab2481", Cloud: client.CloudGCCH}},
		{"28:gcch-acs:45ab2481", client.UnknownIdentifier{ID: "28:gcch-acs:45ab2481"}},
		{"8:orgid:a:b", client.UnknownIdentifier{ID: "8:orgid:a:b"}},
		{"8:acs", client.UnknownIdentifier{ID: "8:acs"}},
		{"28:45ab2481", client.UnknownIdentifier{ID: "28:45ab2481"}},
		{"48:45ab2481", client.UnknownIdentifier{ID: "48:45ab2481"}},
		{"someFutureFormat", client.UnknownIdentifier{ID: "someFutureFormat"}},
	}
	for _, tt := range tests {
		got, err := client.ParseRawID(tt.raw)
		if err != nil {
			t.Errorf("ParseRawID(%q): %v", tt.raw, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseRawID(%q) = %#v, want %#v", tt.raw, got, tt.want)
		}
		if got.RawID() != tt.raw {
			t.Errorf("ParseRawID(%q).RawID() = %q", tt.raw, got.RawID())
		}
		if got.Kind() != tt.want.Kind() {
			t.Errorf("ParseRawID(%q).Kind() = %q", tt.raw, got.Kind())
		}
	}
}

func TestRawIDOfBuiltIdentifiers(t *testing.T) {
	tests := []struct {
		id   client.Identifier
		want string
	}{
		{client.MicrosoftTeamsUserIdentifier{UserID: "u"}, "8:orgid:u"},
		{client.MicrosoftTeamsUserIdentifier{UserID: "u", Cloud: client.CloudDoD}, "8:dod:u"},
		{client.MicrosoftTeamsUserIdentifier{UserID: "u", Cloud: client.CloudGCCH, IsAnonymous: true}, "8:teamsvisitor:u"},
		{client.MicrosoftTeamsAppIdentifier{AppID: "a"}, "28:orgid:a"},
		{client.MicrosoftTeamsAppIdentifier{AppID: "a", Cloud: client.CloudGCCH}, "28:gcch:a"},
		{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u"}, "8:acs:r_t_u"},
		{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudDoD}, "8:dod-acs:r_t_u"},
		{client.PhoneNumberIdentifier{PhoneNumber: "+1555"}, "4:+1555"},
	}
	for _, tt := range tests {
		if got := tt.id.RawID(); got != tt.want {
			t.Errorf("%#v.RawID() = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestPhoneNumberParts(t *testing.T) {
	tests := []struct {
		number    string
		anonymous bool
		asserted  string
	}{
		{"+15551234567", false, ""},
		{"anonymous", true, ""},
		{"+15551234567_abc", false, "abc"},
		{"+1_2_3", false, "3"},
		{"+1555_", false, ""},
	}
	for _, tt := range tests {
		p := client.PhoneNumberIdentifier{PhoneNumber: tt.number}
		if p.IsAnonymous() != tt.anonymous || p.AssertedID() != tt.asserted {
			t.Errorf("%q: anonymous=%v asserted=%q, want %v %q", tt.number, p.IsAnonymous(), p.AssertedID(), tt.anonymous, tt.asserted)
		}
	}
}

// A raw ID with a space or control character is refused, whatever the
// character: every one of the Basic Multilingual Plane and a sample of the
// others, placed after ASCII and after another non-ASCII character.
func TestParseRawIDSpacesAndControls(t *testing.T) {
	check := func(prefix string, r rune) {
		raw := prefix + string(r) + "b"
		_, err := client.ParseRawID(raw)
		want := unicode.IsSpace(r) || unicode.IsControl(r)
		if got := err != nil && strings.Contains(err.Error(), fmt.Sprintf("space or control character at byte %d", len(prefix))); got != want {
			t.Errorf("ParseRawID(%q) error = %v; want a space or control error: %v", raw, err, want)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r > 0xffff {
			r += 96
		}
		if utf8.ValidRune(r) {
			check("8:acs:a", r)
			check("8:acs:é", r)
		}
	}
}

func TestParseRawIDRejects(t *testing.T) {
	tests := []struct {
		raw     string
		mention string
	}{
		{"", "empty"},
		{"8:acs:", "nothing after its prefix"},
		{"4:", "nothing after its prefix"},
		{"28:orgid:", "nothing after its prefix"},
		{"8:acs:a b", "space or control character at byte 7"},
		{" 8:acs:ab", "space or control character at byte 0"},
		{"8:acs:ab\n", "space or control character"},
		{"8:acs:a\x00b", "space or control character"},
		{"8:acs:\xff\xfe", "not valid UTF-8"},
		{"8:acs:" + strings.Repeat("x", 1100), "limit is 1024"},
	}
	for _, tt := range tests {
		id, err := client.ParseRawID(tt.raw)
		if err == nil {
			t.Errorf("ParseRawID(%q) = %#v, want an error", tt.raw, id)
			continue
		}
		if !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("ParseRawID(%q) error does not match ErrInvalidInput", tt.raw)
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("ParseRawID(%q) error %q does not mention %q", tt.raw, err, tt.mention)
		}
	}
}

func TestPhoneNumberAssertedIDAtTheStart(t *testing.T) {
	if got := (client.PhoneNumberIdentifier{PhoneNumber: "_x"}).AssertedID(); got != "x" {
		t.Errorf("AssertedID of %q = %q", "_x", got)
	}
}

func TestParseRawIDStrict(t *testing.T) {
	for _, raw := range []string{"alice", "8:asc:r_alice", "99:future:x", "8:acs"} {
		if _, err := client.ParseRawIDStrict(raw); !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("%q: %v", raw, err)
		}
		if _, err := client.ParseRawID(raw); err != nil && raw != "8:acs" {
			t.Errorf("ParseRawID(%q) = %v; it must stay as lenient as the official SDKs", raw, err)
		}
	}
	for _, raw := range []string{"8:acs:r_alice", "4:+15551234567", "8:orgid:u", "28:orgid:a", "8:acs:r_t_u", "8:spool:x"} {
		if id, err := client.ParseRawIDStrict(raw); err != nil || id.RawID() != raw {
			t.Errorf("%q: %v, %v", raw, id, err)
		}
	}
	if _, err := client.ParseRawIDStrict(""); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("empty: %v", err)
	}
}
