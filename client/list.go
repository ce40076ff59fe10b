package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/acsmute/acsmute/gen"
	"github.com/acsmute/acsmute/openapi/wire"
)

// DefaultMaxPages is how many pages ListParticipants follows when
// ListParticipantsOptions.MaxPages is zero: far more than a call holds
// (a call has at most a few hundred participants), few enough that a
// service answering nextLinks for ever cannot keep a caller looping.
const DefaultMaxPages = 1000

// ListParticipantsOptions are the optional parameters of ListParticipants.
type ListParticipantsOptions struct {
	// MaxPages bounds how many pages are fetched; past it the iterator
	// yields an error. Zero means DefaultMaxPages.
	MaxPages int
}

// ListParticipants returns an iterator over the participants of the call
// connection callConnectionID, with their state, as the service lists them
// (recording and transcription bots are not listed). opts may be nil.
//
//	for p, err := range c.ListParticipants(ctx, callID, nil) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(p.Identifier.RawID(), p.IsMuted)
//	}
//
// Pages are fetched lazily: the first when the loop starts, each next one
// when the loop has taken every participant of the one before, and none
// after the loop breaks. Each page is read with the client's API version and
// retried as a safe read (RetryOptions), like GetParticipant. The service's
// nextLink is followed only when it points at the client's own endpoint
// (same scheme, host and port); any other origin is an error and nothing is
// sent there, since requests carry the client's credential.
//
// When something fails the iterator yields one error, with a zero
// CallParticipant, and stops: bad input (ErrInvalidInput), a service error
// (a *ResponseError: 404 for a call connection the service does not know),
// a page that cannot be read, a foreign or repeated nextLink, more than
// MaxPages pages, or ctx ending (the error matches ctx.Err()). Participants
// already yielded stay valid.
func (c *Client) ListParticipants(ctx context.Context, callConnectionID string, opts *ListParticipantsOptions) iter.Seq2[CallParticipant, error] {
	return func(yield func(CallParticipant, error) bool) {
		maxPages, err := c.checkList(ctx, callConnectionID, opts)
		if err != nil {
			yield(CallParticipant{}, err)
			return
		}
		var next *url.URL         // nil: the first page, built by the generated client
		seen := map[string]bool{} // the pages fetched (pageKey)
		// The pages share one redactor: a page's answer cannot get the
		// credential an earlier page carried through either.
		red := redactor{held: c.held}
		for page := 1; ; page++ {
			if page > maxPages {
				yield(CallParticipant{}, fmt.Errorf("acsmute: list participants: stopped after %d pages (ListParticipantsOptions.MaxPages), the service still answering with a nextLink", maxPages))
				return
			}
			items, link, err := c.listPage(ctx, callConnectionID, next, seen, &red)
			if err != nil {
				yield(CallParticipant{}, err)
				return
			}
			for _, p := range items {
				if !yield(p, nil) {
					return
				}
			}
			if link == "" {
				return
			}
			if next, err = c.followable(link, &red); err != nil {
				yield(CallParticipant{}, red.err(fmt.Errorf("acsmute: list participants: page %d: %w", page, err)))
				return
			}
			if seen[pageKey(next)] {
				yield(CallParticipant{}, fmt.Errorf("acsmute: list participants: page %d: the service answered a nextLink to a page already fetched", page))
				return
			}
		}
	}
}

// checkList checks ListParticipants' input and returns the page bound.
func (c *Client) checkList(ctx context.Context, callConnectionID string, opts *ListParticipantsOptions) (int, error) {
	if c == nil || c.api == nil {
		return 0, invalid("the Client was not made by NewClient")
	}
	if ctx == nil {
		return 0, invalid("context is nil")
	}
	if err := checkCallConnectionID(callConnectionID); err != nil {
		return 0, err
	}
	maxPages := DefaultMaxPages
	if opts != nil {
		if opts.MaxPages < 0 {
			return 0, invalid("ListParticipantsOptions.MaxPages must not be negative")
		}
		if opts.MaxPages > 0 {
			maxPages = opts.MaxPages
		}
	}
	return maxPages, nil
}

// listPage fetches one page: the first when next is nil, else the page at
// next (already checked by followable), and adds its key to seen. red is
// the listing's redactor, which the page's operation uses and adds to. It
// returns the page's participants and its nextLink.
func (c *Client) listPage(ctx context.Context, callConnectionID string, next *url.URL, seen map[string]bool, red *redactor) ([]CallParticipant, string, error) {
	op := &operation{name: "list participants", red: *red}
	defer func() { *red = op.red }()
	params := &gen.CallConnectionGetParticipantsParams{ApiVersion: c.version.name}
	// The generated client builds the request and parses the answer; for a
	// next page, the request goes to the service's nextLink.
	editor := func(_ context.Context, req *http.Request) error {
		if next != nil {
			u := *next
			req.URL, req.Host = &u, u.Host
		}
		seen[pageKey(req.URL)] = true
		return nil
	}
	resp, err := c.api.CallConnectionGetParticipantsWithResponse(withOperation(ctx, op), callConnectionID, params, editor)
	if err != nil {
		return nil, "", op.ended(err)
	}
	if resp.JSON200 == nil || resp.JSON200.Value == nil {
		// value is required: a page without it (or with null) is not an
		// empty call. The generated parser leaves the slice nil then, and
		// makes it empty for [].
		return nil, "", op.fail(false, errors.New("the service answered 200 without a JSON page of participants (value)"))
	}
	items := make([]CallParticipant, 0, len(resp.JSON200.Value))
	for i, m := range resp.JSON200.Value {
		p, err := participantFromModel(m, &op.red)
		if err != nil {
			return nil, "", op.fail(false, fmt.Errorf("the service answered 200, but participant %d of the page cannot be read: %w", i+1, err))
		}
		items = append(items, p)
	}
	link := ""
	if resp.JSON200.NextLink != nil {
		link = *resp.JSON200.NextLink
	}
	return items, link, nil
}

// followable checks a nextLink and returns the URL to fetch: on the client's
// own endpoint (a relative link is resolved against it), with the client's
// API version and no other. Any other origin is refused before anything is
// sent, since the request would carry the client's credential there. Its
// errors quote the link through red.
func (c *Client) followable(link string, red *redactor) (*url.URL, error) {
	base, err := url.Parse(c.endpoint)
	if err != nil { // cannot happen: NewClient made it
		return nil, fmt.Errorf("the client's endpoint: %w", err)
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, errors.New("the service answered a nextLink that is not a URL")
	}
	u = base.ResolveReference(u)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" {
		host += ":" + port
	}
	scheme := strings.ToLower(u.Scheme)
	if u.User != nil || scheme+"://"+stripDefaultPort(scheme, host)+"/" != c.endpoint {
		return nil, fmt.Errorf("the service answered a nextLink to another origin (%s://%s), not the client's endpoint %s; nothing was sent there",
			red.quote(u.Scheme, 16), red.quote(u.Host, 64), c.endpoint)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery, err = withAPIVersion(u.RawQuery, c.version.name); err != nil {
		return nil, err
	}
	return u, nil
}

// pageKey is what tells two page URLs apart as the service would: the
// scheme and host in lower case without a default port, the path decoded,
// cleaned ("//" and dot segments resolved), in lower case and without a
// trailing slash (the service's routes ignore case), and the query's pairs
// (split on "&" and ";") decoded, their names in lower case, sorted, empty
// ones left out. Links that differ only in spelling (a trailing "&", the
// order of the query, an escaped letter, the case of a name) are one page.
func pageKey(u *url.URL) string {
	var pairs []string
	for _, pair := range strings.FieldsFunc(u.RawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		name, value, _ := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if v, err := url.QueryUnescape(value); err == nil {
			value = v
		}
		if paramIs(name, wire.ParamAPIVersion) {
			name = wire.ParamAPIVersion
		}
		pairs = append(pairs, url.QueryEscape(strings.ToLower(name))+"="+url.QueryEscape(value))
	}
	slices.Sort(pairs)
	scheme := strings.ToLower(u.Scheme)
	p := strings.TrimSuffix(path.Clean("/"+u.Path), "/")
	return scheme + "://" + stripDefaultPort(scheme, strings.ToLower(u.Host)) + strings.ToLower(p) + "?" + strings.Join(pairs, "&")
}

// paramIs reports whether a decoded query parameter name is want, as a
// server that ignores case might read it: compatibility forms folded
// (NFKC: fullwidth letters are letters), characters that are not printable
// and surrounding blanks left out, and then any of case folding,
// upper-casing and lower-casing (under which "ı" and "ſ" are "I" and "S",
// and "İ" is "i") making them equal.
func paramIs(name, want string) bool {
	name = strings.TrimFunc(norm.NFKC.String(name), func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) })
	name = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, name)
	// EqualFold alone misses "ı", which upper-cases to "I" but does not
	// fold to "i", and "İ", which lower-cases to "i": all three are needed.
	return strings.EqualFold(name, want) ||
		strings.ToUpper(name) == strings.ToUpper(want) || //nolint:staticcheck // SA6005: see above
		strings.ToLower(name) == strings.ToLower(want) //nolint:staticcheck // SA6005: see above
}

// withAPIVersion returns a raw query with exactly one api-version, v, at
// its end, and every other pair as it was (the service's page token is
// opaque: it is not decoded and encoded again). A pair is the api-version
// however its name is spelled: in any case, or percent-encoded
// ("api%2Dversion"), as the server decodes it. A name that cannot be
// decoded is an error: the server's reading of it cannot be known.
func withAPIVersion(rawQuery, v string) (string, error) {
	want := wire.ParamAPIVersion + "=" + url.QueryEscape(v)
	var kept []string
	found, exact := 0, false
	for _, pair := range strings.Split(rawQuery, "&") {
		if pair == "" {
			continue
		}
		rawName, _, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return "", errors.New("the service answered a nextLink whose query has a parameter name that cannot be decoded")
		}
		// A server that also splits on ";" would read more pairs here:
		// none of them may be an api-version either.
		for _, part := range strings.Split(pair, ";")[1:] {
			subName, _, _ := strings.Cut(part, "=")
			if decoded, err := url.QueryUnescape(subName); err != nil || paramIs(decoded, wire.ParamAPIVersion) {
				return "", errors.New("the service answered a nextLink whose query names an api-version after a \";\"; it is not followed")
			}
		}
		if paramIs(name, wire.ParamAPIVersion) {
			found++
			exact = pair == want
			continue
		}
		kept = append(kept, pair)
	}
	if found == 1 && exact {
		return rawQuery, nil // already as it should be
	}
	return strings.Join(append(kept, want), "&"), nil
}
