package client

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/acsmute/acsmute/gen"
)

// Identifier is a participant of a call: a Communication Services user, a
// phone number, a Microsoft Teams user or app, a Teams Phone extension user,
// or an identifier this library does not recognise.
//
// RawID returns the single-string form that ParseRawID reads back, so raw IDs
// can be stored and turned into identifiers again.
type Identifier interface {
	// RawID returns the identifier's raw ID, such as "8:acs:..." or "4:+15551234567".
	RawID() string
	// Kind names the identifier's kind.
	Kind() IdentifierKind
	// model returns the wire form for an API version.
	model(v wireVersion) gen.CommunicationIdentifierModel
}

// IdentifierKind names a kind of Identifier.
type IdentifierKind string

// The kinds of Identifier.
const (
	KindCommunicationUser  IdentifierKind = "communicationUser"
	KindPhoneNumber        IdentifierKind = "phoneNumber"
	KindMicrosoftTeamsUser IdentifierKind = "microsoftTeamsUser"
	KindMicrosoftTeamsApp  IdentifierKind = "microsoftTeamsApp"
	KindTeamsExtensionUser IdentifierKind = "teamsExtensionUser"
	KindUnknown            IdentifierKind = "unknown"
)

// Cloud is the Microsoft cloud an identity belongs to. The zero value means
// CloudPublic.
type Cloud string

// The clouds.
const (
	CloudPublic Cloud = "public"
	CloudDoD    Cloud = "dod"
	CloudGCCH   Cloud = "gcch"
)

// Raw ID prefixes, as the official SDKs define them.
const (
	prefixPhone            = "4:"
	prefixTeamsAnonymous   = "8:teamsvisitor:"
	prefixTeamsUserPublic  = "8:orgid:"
	prefixTeamsUserDoD     = "8:dod:"
	prefixTeamsUserGCCH    = "8:gcch:"
	prefixACSUser          = "8:acs:"
	prefixACSUserDoD       = "8:dod-acs:"
	prefixACSUserGCCH      = "8:gcch-acs:"
	prefixSpoolUser        = "8:spool:"
	prefixTeamsAppPublic   = "28:orgid:"
	prefixTeamsAppDoD      = "28:dod:"
	prefixTeamsAppGCCH     = "28:gcch:"
	maxRawIDLength         = 1024
	phoneNumberAnonymous   = "anonymous"
	assertedIDSeparator    = "_"
	teamsExtensionSegments = 3
)

// CommunicationUserIdentifier is a user created in a Communication Services
// resource. ID is the full raw ID, such as "8:acs:<resource>_<user>".
type CommunicationUserIdentifier struct {
	ID string
}

// RawID returns ID.
func (u CommunicationUserIdentifier) RawID() string { return u.ID }

// Kind returns KindCommunicationUser.
func (u CommunicationUserIdentifier) Kind() IdentifierKind { return KindCommunicationUser }

func (u CommunicationUserIdentifier) model(wireVersion) gen.CommunicationIdentifierModel {
	// One allocation for the three parts the model points at.
	p := &struct {
		kind gen.CommunicationIdentifierModelKind
		raw  string
		user gen.CommunicationUserIdentifierModel
	}{gen.CommunicationIdentifierModelKindCommunicationUser, u.ID, gen.CommunicationUserIdentifierModel{Id: u.ID}}
	return gen.CommunicationIdentifierModel{Kind: &p.kind, RawId: &p.raw, CommunicationUser: &p.user}
}

// PhoneNumberIdentifier is a telephone participant. PhoneNumber is the
// number in E.164 form ("+15551234567"), "anonymous" for a withheld number,
// or a number followed by "_" and an asserted ID that tells apart several
// connections from one number.
type PhoneNumberIdentifier struct {
	PhoneNumber string
}

// RawID returns "4:" followed by the number.
func (p PhoneNumberIdentifier) RawID() string { return prefixPhone + p.PhoneNumber }

// Kind returns KindPhoneNumber.
func (p PhoneNumberIdentifier) Kind() IdentifierKind { return KindPhoneNumber }

// IsAnonymous reports whether the number is withheld.
func (p PhoneNumberIdentifier) IsAnonymous() bool { return p.PhoneNumber == phoneNumberAnonymous }

// AssertedID returns the part after the last "_" of the number, or "" when
// there is none.
func (p PhoneNumberIdentifier) AssertedID() string {
	if p.IsAnonymous() {
		return ""
	}
	i := strings.LastIndex(p.PhoneNumber, assertedIDSeparator)
	if i < 0 {
		return ""
	}
	return p.PhoneNumber[i+1:]
}

// model is, from API version 2025-06-15 on, the number with isAnonymous
// and, when there is one, assertedId, as the official SDKs send them.
func (p PhoneNumberIdentifier) model(v wireVersion) gen.CommunicationIdentifierModel {
	m := gen.CommunicationIdentifierModel{
		Kind:        kindPtr(gen.CommunicationIdentifierModelKindPhoneNumber),
		RawId:       strPtr(p.RawID()),
		PhoneNumber: &gen.PhoneNumberIdentifierModel{Value: p.PhoneNumber},
	}
	if v.extensionUsers {
		anon := p.IsAnonymous()
		m.PhoneNumber.IsAnonymous = &anon
		if a := p.AssertedID(); a != "" {
			m.PhoneNumber.AssertedId = &a
		}
	}
	return m
}

// MicrosoftTeamsUserIdentifier is a Microsoft Teams user: a signed-in user
// (UserID is the Entra ID object ID) or, with IsAnonymous, a guest.
type MicrosoftTeamsUserIdentifier struct {
	UserID      string
	IsAnonymous bool
	Cloud       Cloud
}

// RawID returns "8:teamsvisitor:", "8:orgid:", "8:dod:" or "8:gcch:"
// followed by UserID.
func (u MicrosoftTeamsUserIdentifier) RawID() string {
	if u.IsAnonymous {
		return prefixTeamsAnonymous + u.UserID
	}
	switch u.Cloud {
	case CloudDoD:
		return prefixTeamsUserDoD + u.UserID
	case CloudGCCH:
		return prefixTeamsUserGCCH + u.UserID
	}
	return prefixTeamsUserPublic + u.UserID
}

// Kind returns KindMicrosoftTeamsUser.
func (u MicrosoftTeamsUserIdentifier) Kind() IdentifierKind { return KindMicrosoftTeamsUser }

func (u MicrosoftTeamsUserIdentifier) model(wireVersion) gen.CommunicationIdentifierModel {
	anon := u.IsAnonymous
	return gen.CommunicationIdentifierModel{
		Kind:  kindPtr(gen.CommunicationIdentifierModelKindMicrosoftTeamsUser),
		RawId: strPtr(u.RawID()),
		MicrosoftTeamsUser: &gen.MicrosoftTeamsUserIdentifierModel{
			UserId:      u.UserID,
			IsAnonymous: &anon,
			Cloud:       cloudModel(u.Cloud),
		},
	}
}

// MicrosoftTeamsAppIdentifier is a Microsoft Teams application, such as a bot.
type MicrosoftTeamsAppIdentifier struct {
	AppID string
	Cloud Cloud
}

// RawID returns "28:orgid:", "28:dod:" or "28:gcch:" followed by AppID.
func (a MicrosoftTeamsAppIdentifier) RawID() string {
	switch a.Cloud {
	case CloudDoD:
		return prefixTeamsAppDoD + a.AppID
	case CloudGCCH:
		return prefixTeamsAppGCCH + a.AppID
	}
	return prefixTeamsAppPublic + a.AppID
}

// Kind returns KindMicrosoftTeamsApp.
func (a MicrosoftTeamsAppIdentifier) Kind() IdentifierKind { return KindMicrosoftTeamsApp }

func (a MicrosoftTeamsAppIdentifier) model(wireVersion) gen.CommunicationIdentifierModel {
	return gen.CommunicationIdentifierModel{
		Kind:              kindPtr(gen.CommunicationIdentifierModelKindMicrosoftTeamsApp),
		RawId:             strPtr(a.RawID()),
		MicrosoftTeamsApp: &gen.MicrosoftTeamsAppIdentifierModel{AppId: a.AppID, Cloud: cloudModel(a.Cloud)},
	}
}

// TeamsExtensionUserIdentifier is a Teams Phone user reached through a
// Communication Services resource. Its raw ID is a Communication Services
// user ID whose suffix is "<resource>_<tenant>_<user>".
//
// From API version 2025-06-15 on it is sent with its own kind,
// "teamsExtensionUser", and its parts. API version 2024-09-15 has no such
// kind, so on that version it is sent as the Communication Services user it
// is there: kind "communicationUser" with the raw ID as the user ID.
type TeamsExtensionUserIdentifier struct {
	UserID     string
	TenantID   string
	ResourceID string
	Cloud      Cloud
}

// RawID returns "8:acs:", "8:dod-acs:" or "8:gcch-acs:" followed by
// ResourceID, TenantID and UserID joined with "_".
func (u TeamsExtensionUserIdentifier) RawID() string {
	prefix := prefixACSUser
	switch u.Cloud {
	case CloudDoD:
		prefix = prefixACSUserDoD
	case CloudGCCH:
		prefix = prefixACSUserGCCH
	}
	return prefix + u.ResourceID + "_" + u.TenantID + "_" + u.UserID
}

// Kind returns KindTeamsExtensionUser.
func (u TeamsExtensionUserIdentifier) Kind() IdentifierKind { return KindTeamsExtensionUser }

func (u TeamsExtensionUserIdentifier) model(v wireVersion) gen.CommunicationIdentifierModel {
	if !v.extensionUsers {
		return CommunicationUserIdentifier{ID: u.RawID()}.model(v)
	}
	return gen.CommunicationIdentifierModel{
		Kind:  kindPtr(gen.CommunicationIdentifierModelKindTeamsExtensionUser),
		RawId: strPtr(u.RawID()),
		TeamsExtensionUser: &gen.TeamsExtensionUserIdentifierModel{
			UserId:     u.UserID,
			TenantId:   u.TenantID,
			ResourceId: u.ResourceID,
			Cloud:      cloudModel(u.Cloud),
		},
	}
}

// UnknownIdentifier is an identifier whose raw ID matches no known form.
// It is sent with kind "unknown" and its raw ID.
type UnknownIdentifier struct {
	ID string
}

// RawID returns ID.
func (u UnknownIdentifier) RawID() string { return u.ID }

// Kind returns KindUnknown.
func (u UnknownIdentifier) Kind() IdentifierKind { return KindUnknown }

func (u UnknownIdentifier) model(wireVersion) gen.CommunicationIdentifierModel {
	return gen.CommunicationIdentifierModel{
		Kind:  kindPtr(gen.CommunicationIdentifierModelKindUnknown),
		RawId: strPtr(u.ID),
	}
}

// ParseRawID turns a raw ID back into an Identifier, with the same rules as
// Microsoft's official SDKs:
//
//   - "4:..." is a phone number;
//   - "8:acs:", "8:dod-acs:" and "8:gcch-acs:" IDs are Communication Services
//     users, or Teams extension users when the rest splits on "_" into
//     exactly three parts (resource, tenant, user); "8:spool:" IDs are always
//     Communication Services users;
//   - "8:orgid:", "8:dod:", "8:gcch:" and "8:teamsvisitor:" are Teams users;
//   - "28:orgid:", "28:dod:" and "28:gcch:" are Teams apps;
//   - anything else is an UnknownIdentifier.
//
// For every ID it accepts, RawID of the result equals the input. It rejects,
// with an error naming the problem, an empty ID, one longer than 1024 bytes,
// one holding white space, control characters or invalid UTF-8, and a known
// prefix with nothing after it.
func ParseRawID(rawID string) (Identifier, error) {
	if err := checkRawID(rawID); err != nil {
		return nil, err
	}
	if phone, ok := strings.CutPrefix(rawID, prefixPhone); ok {
		return PhoneNumberIdentifier{PhoneNumber: phone}, nil
	}
	segments := strings.Split(rawID, ":")
	if len(segments) != 3 {
		return UnknownIdentifier{ID: rawID}, nil
	}
	prefix := segments[0] + ":" + segments[1] + ":"
	suffix := segments[2]
	switch prefix {
	case prefixTeamsAnonymous:
		return MicrosoftTeamsUserIdentifier{UserID: suffix, IsAnonymous: true, Cloud: CloudPublic}, nil
	case prefixTeamsUserPublic:
		return MicrosoftTeamsUserIdentifier{UserID: suffix, Cloud: CloudPublic}, nil
	case prefixTeamsUserDoD:
		return MicrosoftTeamsUserIdentifier{UserID: suffix, Cloud: CloudDoD}, nil
	case prefixTeamsUserGCCH:
		return MicrosoftTeamsUserIdentifier{UserID: suffix, Cloud: CloudGCCH}, nil
	case prefixACSUser:
		return acsUser(rawID, suffix, CloudPublic), nil
	case prefixACSUserDoD:
		return acsUser(rawID, suffix, CloudDoD), nil
	case prefixACSUserGCCH:
		return acsUser(rawID, suffix, CloudGCCH), nil
	case prefixSpoolUser:
		return CommunicationUserIdentifier{ID: rawID}, nil
	case prefixTeamsAppPublic:
		return MicrosoftTeamsAppIdentifier{AppID: suffix, Cloud: CloudPublic}, nil
	case prefixTeamsAppDoD:
		return MicrosoftTeamsAppIdentifier{AppID: suffix, Cloud: CloudDoD}, nil
	case prefixTeamsAppGCCH:
		return MicrosoftTeamsAppIdentifier{AppID: suffix, Cloud: CloudGCCH}, nil
	}
	return UnknownIdentifier{ID: rawID}, nil
}

// ParseRawIDStrict is ParseRawID for raw IDs typed by people: it also
// refuses, with an error naming the problem, any raw ID that would be an
// UnknownIdentifier, that is a form no official SDK recognises (such as
// "alice" or the typo "8:asc:r_alice"). Use it where a typo would otherwise
// cost a request (command lines, forms, configuration); use ParseRawID for
// raw IDs that come from the service, which may name kinds this library
// does not know yet.
func ParseRawIDStrict(rawID string) (Identifier, error) {
	id, err := ParseRawID(rawID)
	if err != nil {
		return nil, err
	}
	if id.Kind() == KindUnknown {
		return nil, invalidf("raw ID %q is not a form the official SDKs recognise (want 8:acs:..., 4:+1..., 8:orgid:..., 28:orgid:... and the like)", truncate(rawID, 64))
	}
	return id, nil
}

// acsUser returns a Teams extension user when suffix is resource_tenant_user,
// and a Communication Services user otherwise.
func acsUser(rawID, suffix string, cloud Cloud) Identifier {
	parts := strings.Split(suffix, "_")
	if len(parts) != teamsExtensionSegments {
		return CommunicationUserIdentifier{ID: rawID}
	}
	return TeamsExtensionUserIdentifier{ResourceID: parts[0], TenantID: parts[1], UserID: parts[2], Cloud: cloud}
}

// knownPrefixes are the prefixes that need something after them.
var knownPrefixes = [...]string{
	prefixPhone, prefixTeamsAnonymous, prefixTeamsUserPublic, prefixTeamsUserDoD, prefixTeamsUserGCCH,
	prefixACSUser, prefixACSUserDoD, prefixACSUserGCCH, prefixSpoolUser,
	prefixTeamsAppPublic, prefixTeamsAppDoD, prefixTeamsAppGCCH,
}

// checkRawID rejects raw IDs no service would issue.
func checkRawID(rawID string) error {
	if rawID == "" {
		return invalid("raw ID is empty")
	}
	if len(rawID) > maxRawIDLength {
		return invalidf("raw ID is %d bytes long; the limit is %d", len(rawID), maxRawIDLength)
	}
	if !utf8.ValidString(rawID) {
		return invalid("raw ID is not valid UTF-8")
	}
	for i := 0; i < len(rawID); i++ {
		c := rawID[i]
		if c >= utf8.RuneSelf {
			// Beyond ASCII, Unicode says what is a space or a control.
			for j, r := range rawID[i:] {
				if unicode.IsSpace(r) || unicode.IsControl(r) {
					return invalidf("raw ID has a space or control character at byte %d", i+j)
				}
			}
			break
		}
		// The ASCII spaces and controls.
		if c <= ' ' || c == 0x7f {
			return invalidf("raw ID has a space or control character at byte %d", i)
		}
	}
	for _, p := range knownPrefixes {
		if rawID == p {
			return invalidf("raw ID %q has nothing after its prefix", rawID)
		}
	}
	return nil
}

// resolveIdentifier checks an Identifier before it is sent and returns it in
// a form whose methods are safe to call: one of this package's identifier
// values, or, for another type (one that embeds an identifier of this
// package), a snapshot of what its methods return. It never panics: a
// method that panics (a nil embedded identifier, say) gives an input error.
func resolveIdentifier(id Identifier) (Identifier, error) {
	switch v := id.(type) {
	case nil:
		return nil, invalid("participant is nil")
	case CommunicationUserIdentifier, PhoneNumberIdentifier, MicrosoftTeamsUserIdentifier,
		MicrosoftTeamsAppIdentifier, TeamsExtensionUserIdentifier, UnknownIdentifier:
		return v, checkIdentifier(v)
	case *CommunicationUserIdentifier:
		return deref(v)
	case *PhoneNumberIdentifier:
		return deref(v)
	case *MicrosoftTeamsUserIdentifier:
		return deref(v)
	case *MicrosoftTeamsAppIdentifier:
		return deref(v)
	case *TeamsExtensionUserIdentifier:
		return deref(v)
	case *UnknownIdentifier:
		return deref(v)
	}
	snap, err := snapshot(id)
	if err != nil {
		return nil, err
	}
	return snap, checkIdentifier(snap)
}

// deref resolves a pointer to one of this package's identifiers.
func deref[T Identifier](p *T) (Identifier, error) {
	if p == nil {
		return nil, invalidf("participant is a nil %T", p)
	}
	return *p, checkIdentifier(*p)
}

// snapshotIdentifier is an Identifier of another type, frozen: what its
// methods returned when it was checked, for the older wire rules (before
// 2025-06-15) and the newer ones.
type snapshotIdentifier struct {
	rawID        string
	kind         IdentifierKind
	older, newer gen.CommunicationIdentifierModel
}

func (s snapshotIdentifier) RawID() string        { return s.rawID }
func (s snapshotIdentifier) Kind() IdentifierKind { return s.kind }
func (s snapshotIdentifier) model(v wireVersion) gen.CommunicationIdentifierModel {
	if v.extensionUsers {
		return s.newer
	}
	return s.older
}

// snapshot calls the methods of an Identifier of another type, turning a
// panic into an input error, and checks that the raw ID it reports is the
// one it would send.
func snapshot(id Identifier) (snap snapshotIdentifier, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = invalidf("participant of type %T cannot be used: its methods panicked", id)
		}
	}()
	snap = snapshotIdentifier{rawID: id.RawID(), kind: id.Kind(),
		older: id.model(wireVersion{}), newer: id.model(wireVersion{extensionUsers: true})}
	for _, m := range [...]gen.CommunicationIdentifierModel{snap.older, snap.newer} {
		if m.RawId == nil || *m.RawId != snap.rawID {
			return snapshotIdentifier{}, invalidf("participant of type %T has a RawID that differs from the identifier it embeds", id)
		}
		if m.Kind == nil || *m.Kind == gen.CommunicationIdentifierModelKindUnknown {
			continue
		}
		// What would be sent must stand for the same participant, and
		// pass the checks the embedded identifier passes on its own.
		nested := m
		nested.RawId = nil
		back, err := identifierFromModel(nested, &redactor{})
		if err != nil {
			return snapshotIdentifier{}, invalidf("participant of type %T cannot be sent: %w", id, err)
		}
		if back.RawID() != snap.rawID {
			return snapshotIdentifier{}, invalidf("participant of type %T has a RawID that differs from the identifier it embeds", id)
		}
	}
	return snap, nil
}

// checkIdentifier checks one of this package's identifier values, or a
// snapshot, before it is sent.
func checkIdentifier(id Identifier) error {
	switch v := id.(type) {
	case CommunicationUserIdentifier:
		if v.ID == "" {
			return invalid("participant CommunicationUserIdentifier has an empty ID")
		}
	case PhoneNumberIdentifier:
		if v.PhoneNumber == "" {
			return invalid("participant PhoneNumberIdentifier has an empty PhoneNumber")
		}
	case MicrosoftTeamsUserIdentifier:
		if v.UserID == "" {
			return invalid("participant MicrosoftTeamsUserIdentifier has an empty UserID")
		}
		if err := checkCloud(v.Cloud); err != nil {
			return err
		}
	case MicrosoftTeamsAppIdentifier:
		if v.AppID == "" {
			return invalid("participant MicrosoftTeamsAppIdentifier has an empty AppID")
		}
		if err := checkCloud(v.Cloud); err != nil {
			return err
		}
	case TeamsExtensionUserIdentifier:
		if v.UserID == "" || v.TenantID == "" || v.ResourceID == "" {
			return invalid("participant TeamsExtensionUserIdentifier needs UserID, TenantID and ResourceID")
		}
		// The raw ID joins the parts with "_" after a prefix ending in ":":
		// either in a part would make it another identifier.
		for _, part := range [...]string{v.ResourceID, v.TenantID, v.UserID} {
			if strings.ContainsAny(part, "_:") {
				return invalid(`participant TeamsExtensionUserIdentifier parts must not contain "_" or ":"`)
			}
		}
		if err := checkCloud(v.Cloud); err != nil {
			return err
		}
	case UnknownIdentifier:
		if v.ID == "" {
			return invalid("participant UnknownIdentifier has an empty ID")
		}
	}
	return checkRawID(id.RawID())
}

func checkCloud(c Cloud) error {
	switch c {
	case "", CloudPublic, CloudDoD, CloudGCCH:
		return nil
	}
	return invalidf("participant has unknown cloud %q (want public, dod or gcch)", truncate(string(c), 32))
}

// cloudModel is a cloud's wire form; empty means public. Other values pass
// through unchanged, for the checks to refuse (checkCloud, and for a
// caller's own type, snapshot).
func cloudModel(c Cloud) *gen.CommunicationCloudEnvironmentModel {
	m := gen.CommunicationCloudEnvironmentModel(c)
	if c == "" {
		m = gen.CommunicationCloudEnvironmentModelPublic
	}
	return &m
}

func kindPtr(k gen.CommunicationIdentifierModelKind) *gen.CommunicationIdentifierModelKind { return &k }

func strPtr(s string) *string { return &s }

// truncate shortens s to at most n bytes for use in error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
