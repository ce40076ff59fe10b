// Package entra connects Microsoft Entra ID to the acsmute client: it turns
// an azcore.TokenCredential from the Azure SDK for Go (a managed identity,
// workload identity, azidentity.NewDefaultAzureCredential and the like) into
// a credential the client signs requests with.
//
// It is a module of its own, github.com/acsmute/acsmute/entra, so that the
// client itself does not depend on the Azure SDK: only programs that use
// Entra ID pay for azcore.
//
//	azCred, err := azidentity.NewDefaultAzureCredential(nil)
//	if err != nil { ... }
//	cred, err := entra.NewCredential(azCred, nil)
//	if err != nil { ... }
//	c, err := client.NewClient("https://my-resource.communication.azure.com", cred, nil)
//
// The identity needs a role on the Communication Services resource that
// allows Call Automation, such as Contributor.
package entra

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/acsmute/acsmute/client"
)

// Options configures NewCredential. The zero value is ready to use.
type Options struct {
	// TenantID, when set, asks for tokens from this tenant instead of the
	// credential's default one.
	TenantID string

	// RefreshBefore is how long before expiry a token without a RefreshOn
	// time is replaced. Zero means the client's default, 5 minutes.
	RefreshBefore time.Duration
}

// NewCredential returns a caching credential that gets its tokens from cred,
// for the Communication Services scope (client.TokenScope). Tokens are
// replaced at the RefreshOn time the credential gives, or else RefreshBefore
// their expiry; one fetch runs at a time however many calls share it. An
// error from cred ends the call at once, with nothing sent, and errors.Is
// and errors.As find it through the client's error; after a failure the
// next calls wait a little (at most as long as their context allows) before
// cred is asked again. A token without an expiry (a zero ExpiresOn) is used
// for the call that fetched it only. opts may be nil.
func NewCredential(cred azcore.TokenCredential, opts *Options) (*client.TokenCredential, error) {
	if cred == nil {
		return nil, fmt.Errorf("%w: entra: the azcore.TokenCredential is nil", client.ErrInvalidInput)
	}
	if opts == nil {
		opts = &Options{}
	}
	scopes := []string{client.TokenScope}
	tenant := opts.TenantID
	provider := client.TokenProviderFunc(func(ctx context.Context) (client.AccessToken, error) {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: scopes, TenantID: tenant})
		if err != nil {
			return client.AccessToken{}, fmt.Errorf("entra: getting a token for %s: %w", client.TokenScope, err)
		}
		if tok.Token == "" {
			return client.AccessToken{}, errors.New("entra: the credential returned an empty token")
		}
		expires := tok.ExpiresOn
		if expires.IsZero() {
			// azcore's zero ExpiresOn is unknown, not never: the token is
			// used for the call that fetched it, and the next call asks
			// again.
			expires = time.Now()
		}
		out := client.NewAccessToken(tok.Token, expires)
		out.RefreshOn = tok.RefreshOn
		return out, nil
	})
	return client.NewTokenCredential(provider, &client.TokenCredentialOptions{RefreshBefore: opts.RefreshBefore})
}
