// Package acsmute is the root of the acsmute module: a Go client for muting
// participants in Azure Communication Services Call Automation calls.
//
// The public API lives in package client; package gen holds code generated
// from openapi/mute.yaml by the go:generate directive below.
package acsmute

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config openapi/oapi-codegen.yaml openapi/mute.yaml
