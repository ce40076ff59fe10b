// Package client is the public API of acsmute: a production-minded Go client
// for the participants side of Azure Communication Services Call Automation:
// muting a participant (MuteParticipant), putting one on hold and taking
// them off it (HoldParticipant, UnholdParticipant), removing one
// (RemoveParticipant, answered 202 and reported later by a callback),
// reading one back (GetParticipant), listing a call's participants
// (ListParticipants) and muting many with an answer for each
// (MuteParticipants), in API versions 2024-09-15, 2025-06-15 and 2026-03-12
// (ClientOptions.APIVersion).
//
// A Client is built from an endpoint and a credential (NewClient) or from a
// resource connection string (NewClientFromConnectionString). Requests are
// authorized either with an HMAC-SHA256 signature made from the resource's
// access key (KeyCredential) or with a bearer token (StaticTokenCredential,
// TokenCredential). Mute and remove carry the repeatability headers the
// service uses to recognise a resent request, so the client retries failed
// attempts without muting or removing twice; hold and unhold, which have
// none, set a state, so a retry leaves the participant as one attempt does.
//
// Failures from the service are returned as *ResponseError, which errors.As
// finds through any wrapping. Access keys and tokens never appear in errors,
// logs or the String form of any value in this package.
//
// The wire types come from package gen, generated from openapi/mute.yaml;
// this package adds the parts a generator cannot: signing, identifiers,
// retries and errors.
package client
