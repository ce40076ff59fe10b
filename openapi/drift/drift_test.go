package drift_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/openapi"
	"github.com/acsmute/acsmute/openapi/drift"
	"github.com/acsmute/acsmute/openapi/wire"
)

// baseline returns a small Swagger 2.0 description of the mute operation
// that matches our document, written for these tests, and a "common"
// document it references relatively, as Microsoft's does.
func baseline() (main, common map[string]any) {
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/definitions/" + name} }
	cref := func(name string) map[string]any {
		return map[string]any{"$ref": "../common/common.json#/definitions/" + name}
	}
	str := map[string]any{"type": "string"}
	common = map[string]any{
		"swagger": "2.0", "info": map[string]any{"title": "common", "version": "1"}, "paths": map[string]any{},
		"definitions": map[string]any{
			"CommunicationErrorResponse": map[string]any{"type": "object", "required": []any{"error"},
				"properties": map[string]any{"error": ref("CommunicationError")}},
			"CommunicationError": map[string]any{"type": "object", "required": []any{"code", "message"},
				"properties": map[string]any{"code": str, "message": str, "target": str,
					"details":    map[string]any{"type": "array", "items": ref("CommunicationError")},
					"innererror": ref("CommunicationError")}},
			"CommunicationCloudEnvironmentModel": map[string]any{"type": "string", "enum": []any{"public", "dod", "gcch"}},
			"CommunicationIdentifierModelKind": map[string]any{"type": "string",
				"enum": []any{"unknown", "communicationUser", "phoneNumber", "microsoftTeamsUser", "microsoftTeamsApp", "teamsExtensionUser"}},
			"CommunicationIdentifierModel": map[string]any{"type": "object", "properties": map[string]any{
				"kind": ref("CommunicationIdentifierModelKind"), "rawId": str,
				"communicationUser":  ref("CommunicationUserIdentifierModel"),
				"phoneNumber":        ref("PhoneNumberIdentifierModel"),
				"microsoftTeamsUser": ref("MicrosoftTeamsUserIdentifierModel"),
				"microsoftTeamsApp":  ref("MicrosoftTeamsAppIdentifierModel"),
				"teamsExtensionUser": ref("TeamsExtensionUserIdentifierModel")}},
			"CommunicationUserIdentifierModel": map[string]any{"type": "object", "required": []any{"id"}, "properties": map[string]any{"id": str}},
			"PhoneNumberIdentifierModel": map[string]any{"type": "object", "required": []any{"value"}, "properties": map[string]any{
				"value": str, "isAnonymous": map[string]any{"type": "boolean"}, "assertedId": str}},
			"TeamsExtensionUserIdentifierModel": map[string]any{"type": "object", "required": []any{"userId", "tenantId", "resourceId"}, "properties": map[string]any{
				"userId": str, "tenantId": str, "resourceId": str, "cloud": ref("CommunicationCloudEnvironmentModel")}},
			"MicrosoftTeamsUserIdentifierModel": map[string]any{"type": "object", "required": []any{"userId"}, "properties": map[string]any{
				"userId": str, "isAnonymous": map[string]any{"type": "boolean"}, "cloud": ref("CommunicationCloudEnvironmentModel")}},
			"MicrosoftTeamsAppIdentifierModel": map[string]any{"type": "object", "required": []any{"appId"}, "properties": map[string]any{
				"appId": str, "cloud": ref("CommunicationCloudEnvironmentModel")}},
		},
	}
	main = map[string]any{
		"swagger": "2.0", "info": map[string]any{"title": "test", "version": "2024-09-15"},
		"consumes": []any{"application/json"}, "produces": []any{"application/json"},
		"parameters": map[string]any{"ApiVersionParameter": map[string]any{"name": "api-version", "in": "query", "required": true, "type": "string"}},
		"paths": map[string]any{drift.MutePath: map[string]any{"post": map[string]any{
			"operationId": "CallConnection_Mute",
			"parameters": []any{
				map[string]any{"name": "callConnectionId", "in": "path", "required": true, "type": "string"},
				map[string]any{"name": "body", "in": "body", "required": true, "schema": ref("MuteParticipantsRequest")},
				map[string]any{"$ref": "#/parameters/ApiVersionParameter"},
				map[string]any{"name": "Repeatability-Request-ID", "in": "header", "type": "string", "format": "uuid"},
				map[string]any{"name": "Repeatability-First-Sent", "in": "header", "type": "string", "format": "date-time-rfc1123"},
			},
			"responses": map[string]any{
				"200":     map[string]any{"description": "ok", "schema": ref("MuteParticipantsResult")},
				"default": map[string]any{"description": "error", "schema": ref("CommunicationErrorResponse")},
			},
		}}, wire.PathHold: map[string]any{"post": map[string]any{
			"operationId": "CallMedia_Hold",
			"parameters": []any{
				map[string]any{"name": "callConnectionId", "in": "path", "required": true, "type": "string"},
				map[string]any{"name": "holdRequest", "in": "body", "required": true, "schema": ref("HoldRequest")},
				map[string]any{"$ref": "#/parameters/ApiVersionParameter"},
			},
			"responses": map[string]any{
				"200":     map[string]any{"description": "ok"},
				"default": map[string]any{"description": "error", "schema": ref("CommunicationErrorResponse")},
			},
		}}, wire.PathUnhold: map[string]any{"post": map[string]any{
			"operationId": "CallMedia_Unhold",
			"parameters": []any{
				map[string]any{"name": "callConnectionId", "in": "path", "required": true, "type": "string"},
				map[string]any{"name": "unholdRequest", "in": "body", "required": true, "schema": ref("UnholdRequest")},
				map[string]any{"$ref": "#/parameters/ApiVersionParameter"},
			},
			"responses": map[string]any{
				"200":     map[string]any{"description": "ok"},
				"default": map[string]any{"description": "error", "schema": ref("CommunicationErrorResponse")},
			},
		}}, wire.PathRemove: map[string]any{"post": map[string]any{
			"operationId": "CallConnection_RemoveParticipant",
			"parameters": []any{
				map[string]any{"name": "callConnectionId", "in": "path", "required": true, "type": "string"},
				map[string]any{"name": "removeParticipantRequest", "in": "body", "required": true, "schema": ref("RemoveParticipantRequest")},
				map[string]any{"$ref": "#/parameters/ApiVersionParameter"},
				map[string]any{"name": "Repeatability-Request-ID", "in": "header", "type": "string", "format": "uuid"},
				map[string]any{"name": "Repeatability-First-Sent", "in": "header", "type": "string", "format": "date-time-rfc1123"},
			},
			"responses": map[string]any{
				"202":     map[string]any{"description": "accepted", "schema": ref("RemoveParticipantResponse")},
				"default": map[string]any{"description": "error", "schema": ref("CommunicationErrorResponse")},
			},
		}}, wire.PathGetParticipants: map[string]any{"get": map[string]any{
			"operationId": "CallConnection_GetParticipants",
			"parameters": []any{
				map[string]any{"$ref": "#/parameters/ApiVersionParameter"},
				map[string]any{"name": "callConnectionId", "in": "path", "required": true, "type": "string"},
			},
			"responses": map[string]any{
				"200":     map[string]any{"description": "ok", "schema": ref("GetParticipantsResponse")},
				"default": map[string]any{"description": "error", "schema": ref("CommunicationErrorResponse")},
			},
			"x-ms-pageable": map[string]any{"nextLinkName": "nextLink", "itemName": "value"},
		}}, wire.PathGetParticipant: map[string]any{"get": map[string]any{
			"operationId": "CallConnection_GetParticipant",
			"parameters": []any{
				map[string]any{"name": "callConnectionId", "in": "path", "required": true, "type": "string"},
				map[string]any{"name": "participantRawId", "in": "path", "required": true, "type": "string"},
				map[string]any{"$ref": "#/parameters/ApiVersionParameter"},
			},
			"responses": map[string]any{
				"200":     map[string]any{"description": "ok", "schema": ref("CallParticipant")},
				"default": map[string]any{"description": "error", "schema": ref("CommunicationErrorResponse")},
			},
		}}},
		"definitions": map[string]any{
			"ParticipantsUpdated": map[string]any{"type": "object", "properties": map[string]any{
				"callConnectionId": str, "serverCallId": str, "correlationId": str,
				"sequenceNumber":    map[string]any{"type": "integer", "format": "int32"},
				"participants":      map[string]any{"type": "array", "items": ref("CallParticipant")},
				"resultInformation": ref("ResultInformation")}},
			"ResultInformation": map[string]any{"type": "object", "properties": map[string]any{
				"code": map[string]any{"type": "integer", "format": "int32"}, "subCode": map[string]any{"type": "integer", "format": "int32"},
				"message": str, "sipDetails": ref("SipDiagnosticInfo"), "q850Details": ref("SipDiagnosticInfo")}},
			"SipDiagnosticInfo": map[string]any{"type": "object", "properties": map[string]any{
				"code": map[string]any{"type": "integer", "format": "int32"}, "message": str}},
			"GetParticipantsResponse": map[string]any{"type": "object", "required": []any{"value"}, "properties": map[string]any{
				"value":    map[string]any{"type": "array", "items": ref("CallParticipant")},
				"nextLink": str}},
			"MuteParticipantsRequest": map[string]any{"type": "object", "required": []any{"targetParticipants"}, "properties": map[string]any{
				"targetParticipants": map[string]any{"type": "array", "items": ref("CommunicationIdentifierModel")},
				"operationContext":   str}},
			"MuteParticipantsResult": map[string]any{"type": "object", "properties": map[string]any{"operationContext": str}},
			"CallParticipant": map[string]any{"type": "object", "properties": map[string]any{
				"identifier": ref("CommunicationIdentifierModel"),
				"isMuted":    map[string]any{"type": "boolean"},
				"isOnHold":   map[string]any{"type": "boolean"}}},
			"HoldRequest": map[string]any{"type": "object", "required": []any{"targetParticipant"}, "properties": map[string]any{
				"targetParticipant": ref("CommunicationIdentifierModel"), "playSourceInfo": ref("PlaySource"),
				"operationContext": str, "operationCallbackUri": str}},
			"UnholdRequest": map[string]any{"type": "object", "required": []any{"targetParticipant"}, "properties": map[string]any{
				"targetParticipant": ref("CommunicationIdentifierModel"), "operationContext": str, "operationCallbackUri": str}},
			"RemoveParticipantRequest": map[string]any{"type": "object", "required": []any{"participantToRemove"}, "properties": map[string]any{
				"participantToRemove": ref("CommunicationIdentifierModel"), "operationContext": str, "operationCallbackUri": str}},
			"RemoveParticipantResponse": map[string]any{"type": "object", "properties": map[string]any{"operationContext": str}},
			"PlaySource": map[string]any{"type": "object", "required": []any{"kind"}, "properties": map[string]any{
				"kind": ref("PlaySourceType"), "playSourceCacheId": str,
				"file": ref("FileSource"), "text": ref("TextSource"), "ssml": ref("SsmlSource")}},
			"PlaySourceType": map[string]any{"type": "string", "enum": []any{"file", "text", "ssml"}},
			"FileSource":     map[string]any{"type": "object", "required": []any{"uri"}, "properties": map[string]any{"uri": str}},
			"TextSource": map[string]any{"type": "object", "required": []any{"text"}, "properties": map[string]any{
				"text": str, "sourceLocale": str, "voiceKind": ref("VoiceKind"), "voiceName": str, "customVoiceEndpointId": str}},
			"VoiceKind":                    map[string]any{"type": "string", "enum": []any{"male", "female"}},
			"SsmlSource":                   map[string]any{"type": "object", "required": []any{"ssmlText"}, "properties": map[string]any{"ssmlText": str, "customVoiceEndpointId": str}},
			"RemoveParticipantSucceeded":   outcomeEvent(true),
			"RemoveParticipantFailed":      outcomeEvent(true),
			"HoldFailed":                   outcomeEvent(false),
			"CallDisconnected":             outcomeEvent(false),
			"CommunicationIdentifierModel": cref("CommunicationIdentifierModel"),
			"CommunicationErrorResponse":   cref("CommunicationErrorResponse"),
		},
	}
	return main, common
}

// outcomeEvent is the data of an event that reports how an operation ended,
// with the participant it concerns when withParticipant is set.
func outcomeEvent(withParticipant bool) map[string]any {
	str := map[string]any{"type": "string"}
	props := map[string]any{"callConnectionId": str, "serverCallId": str, "correlationId": str, "operationContext": str,
		"resultInformation": map[string]any{"$ref": "#/definitions/ResultInformation"}}
	if withParticipant {
		props["participant"] = map[string]any{"$ref": "#/definitions/CommunicationIdentifierModel"}
	}
	return map[string]any{"type": "object", "properties": props}
}

// at walks a path of map keys and slice indexes.
func at(v any, path ...any) map[string]any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v.(map[string]any)
}

func op(m map[string]any) map[string]any { return at(m, "paths", drift.MutePath, "post") }

func getOp(m map[string]any) map[string]any { return at(m, "paths", wire.PathGetParticipant, "get") }

func defs(m map[string]any) map[string]any { return at(m, "definitions") }

// everyOperation is each difference, as found in every operation of the
// document (all of them share the api-version parameter).
func everyOperation(diffs ...string) []string {
	var out []string
	for _, o := range []string{"GET " + wire.PathGetParticipants, "GET " + wire.PathGetParticipant, "POST " + wire.PathMute,
		"POST " + wire.PathHold, "POST " + wire.PathUnhold, "POST " + wire.PathRemove} {
		for _, d := range diffs {
			out = append(out, o+" "+d)
		}
	}
	return out
}

func compare(t *testing.T, main, common map[string]any) []string {
	t.Helper()
	dir := t.TempDir()
	write := func(path string, v any) {
		b, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "common", "common.json"), common)
	mainPath := filepath.Join(dir, "api", "api.json")
	write(mainPath, main)
	ctx := context.Background()
	ours, err := openapi.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	up, err := drift.LoadUpstream(ctx, mainPath)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, d := range drift.Compare(ours, up) {
		lines = append(lines, d.String())
	}
	return lines
}

func TestCompareSyntheticDocuments(t *testing.T) {
	tests := []struct {
		name   string
		change func(main, common map[string]any)
		want   []string
	}{
		{"no difference", func(main, common map[string]any) {}, nil},
		{"descriptions, examples and x-ms extensions are ignored", func(main, common map[string]any) {
			op(main)["description"] = "changed"
			op(main)["x-ms-examples"] = map[string]any{"a": map[string]any{"$ref": "./nowhere.json"}}
			at(op(main), "parameters", 0)["description"] = "changed"
			at(op(main), "parameters", 0)["x-ms-skip-url-encoding"] = true
			at(defs(common), "CommunicationError", "properties", "code")["description"] = "changed"
			at(defs(common), "CommunicationError", "properties", "code")["example"] = "E1"
			at(defs(common), "CommunicationError", "properties", "innererror")["x-ms-client-name"] = "innerError"
			at(defs(common), "CommunicationError", "properties", "target")["readOnly"] = true
			at(defs(common), "CommunicationIdentifierModelKind")["x-ms-enum"] = map[string]any{"name": "Kind", "modelAsString": true}
		}, nil},
		{"header names differ only in case", func(main, common map[string]any) {
			at(op(main), "parameters", 3)["name"] = "repeatability-request-id"
			at(op(main), "parameters", 4)["name"] = "REPEATABILITY-FIRST-SENT"
		}, nil},
		{"header name in another case still compared", func(main, common map[string]any) {
			at(op(main), "parameters", 3)["name"] = "repeatability-request-id"
			at(op(main), "parameters", 3)["format"] = "guid"
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute parameter header Repeatability-Request-ID: format differs: ours "uuid", upstream "guid"`}},
		{"query names are case-sensitive", func(main, common map[string]any) {
			at(main, "parameters", "ApiVersionParameter")["name"] = "API-Version"
		}, everyOperation("parameter query API-Version: only upstream has it", "parameter query api-version: only ours has it")},
		{"allOf added upstream", func(main, common map[string]any) {
			at(defs(main), "MuteParticipantsResult")["allOf"] = []any{map[string]any{"$ref": "#/definitions/CommunicationErrorResponse"}}
		}, []string{`schema MuteParticipantsResult: allOf subschema CommunicationErrorResponse: only upstream has it`}},
		{"parameter format", func(main, common map[string]any) {
			at(op(main), "parameters", 3)["format"] = "guid"
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute parameter header Repeatability-Request-ID: format differs: ours "uuid", upstream "guid"`}},
		{"parameter type", func(main, common map[string]any) {
			at(op(main), "parameters", 0)["type"] = "integer"
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute parameter path callConnectionId: type differs: ours [string], upstream [integer]`}},
		{"parameter required", func(main, common map[string]any) {
			at(op(main), "parameters", 4)["required"] = true
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute parameter header Repeatability-First-Sent: required differs: ours false, upstream true`}},
		{"parameter added upstream", func(main, common map[string]any) {
			o := op(main)
			o["parameters"] = append(o["parameters"].([]any), map[string]any{"name": "x-ms-new", "in": "header", "type": "string"})
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute parameter header x-ms-new: only upstream has it`}},
		{"parameter removed upstream", func(main, common map[string]any) {
			o := op(main)
			o["parameters"] = o["parameters"].([]any)[:4]
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute parameter header Repeatability-First-Sent: only ours has it`}},
		{"parameter moved", func(main, common map[string]any) {
			at(main, "parameters", "ApiVersionParameter")["in"] = "header"
		}, everyOperation("parameter header api-version: only upstream has it", "parameter query api-version: only ours has it")},
		{"parameter enum", func(main, common map[string]any) {
			at(main, "parameters", "ApiVersionParameter")["enum"] = []any{"2024-09-15"}
		}, everyOperation(`parameter query api-version: enum value "2024-09-15": only upstream has it`)},
		{"POST /calling/callConnections/{callConnectionId}/participants:mute request body optional", func(main, common map[string]any) {
			at(op(main), "parameters", 1)["required"] = false
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute request body: required differs: ours true, upstream false`}},
		{"request media type", func(main, common map[string]any) {
			op(main)["consumes"] = []any{"application/merge-patch+json"}
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute request body application/json: only ours has it`, `POST /calling/callConnections/{callConnectionId}/participants:mute request body application/merge-patch+json: only upstream has it`}},
		{"POST /calling/callConnections/{callConnectionId}/participants:mute response code added", func(main, common map[string]any) {
			at(op(main), "responses")["202"] = map[string]any{"description": "accepted"}
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute response 202: only upstream has it`}},
		{"POST /calling/callConnections/{callConnectionId}/participants:mute response code removed", func(main, common map[string]any) {
			delete(at(op(main), "responses"), "200")
		}, []string{`POST /calling/callConnections/{callConnectionId}/participants:mute response 200: only ours has it`}},
		{"POST /calling/callConnections/{callConnectionId}/participants:mute response schema swapped", func(main, common map[string]any) {
			at(op(main), "responses", "200")["schema"] = map[string]any{"$ref": "#/definitions/CommunicationErrorResponse"}
		}, []string{
			`POST /calling/callConnections/{callConnectionId}/participants:mute response 200 application/json: schema differs: ours MuteParticipantsResult, upstream CommunicationErrorResponse`,
			`schema MuteParticipantsResult (upstream CommunicationErrorResponse): property error (CommunicationError): only upstream has it`,
			`schema MuteParticipantsResult (upstream CommunicationErrorResponse): property operationContext: only ours has it`,
			`schema MuteParticipantsResult (upstream CommunicationErrorResponse): required error: only upstream has it`,
		}},
		{"property added", func(main, common map[string]any) {
			at(defs(common), "PhoneNumberIdentifierModel", "properties")["isEmergency"] = map[string]any{"type": "boolean"}
		}, []string{`schema PhoneNumberIdentifierModel: property isEmergency: only upstream has it`}},
		{"property removed", func(main, common map[string]any) {
			delete(at(defs(main), "MuteParticipantsRequest", "properties"), "operationContext")
		}, []string{`schema MuteParticipantsRequest: property operationContext: only ours has it`}},
		{"property type", func(main, common map[string]any) {
			at(defs(common), "MicrosoftTeamsUserIdentifierModel", "properties")["isAnonymous"] = map[string]any{"type": "string"}
		}, []string{`schema MicrosoftTeamsUserIdentifierModel.isAnonymous: type differs: ours [boolean], upstream [string]`}},
		{"property format", func(main, common map[string]any) {
			at(defs(common), "CommunicationUserIdentifierModel", "properties")["id"] = map[string]any{"type": "string", "format": "uuid"}
		}, []string{`schema CommunicationUserIdentifierModel.id: format differs: ours "", upstream "uuid"`}},
		{"required list", func(main, common map[string]any) {
			at(defs(common), "CommunicationError")["required"] = []any{"code"}
		}, []string{`schema CommunicationError: required message: only ours has it`}},
		{"enum value added", func(main, common map[string]any) {
			k := at(defs(common), "CommunicationIdentifierModelKind")
			k["enum"] = append(k["enum"].([]any), "teamsBot")
		}, []string{`schema CommunicationIdentifierModelKind: enum value "teamsBot": only upstream has it`}},
		{"enum value removed", func(main, common map[string]any) {
			at(defs(common), "CommunicationCloudEnvironmentModel")["enum"] = []any{"public", "gcch"}
		}, []string{`schema CommunicationCloudEnvironmentModel: enum value "dod": only ours has it`}},
		{"array items", func(main, common map[string]any) {
			at(defs(main), "MuteParticipantsRequest", "properties")["targetParticipants"] = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
		}, []string{
			`schema MuteParticipantsRequest.targetParticipants[]: schema differs: ours CommunicationIdentifierModel, upstream (inline)`,
			`schema MuteParticipantsRequest.targetParticipants[]: type differs: ours [object], upstream [string]`,
			`schema MuteParticipantsRequest.targetParticipants[]: property communicationUser (CommunicationUserIdentifierModel): only ours has it`,
			`schema MuteParticipantsRequest.targetParticipants[]: property kind (CommunicationIdentifierModelKind): only ours has it`,
			`schema MuteParticipantsRequest.targetParticipants[]: property microsoftTeamsApp (MicrosoftTeamsAppIdentifierModel): only ours has it`,
			`schema MuteParticipantsRequest.targetParticipants[]: property microsoftTeamsUser (MicrosoftTeamsUserIdentifierModel): only ours has it`,
			`schema MuteParticipantsRequest.targetParticipants[]: property phoneNumber (PhoneNumberIdentifierModel): only ours has it`,
			`schema MuteParticipantsRequest.targetParticipants[]: property rawId: only ours has it`,
			`schema MuteParticipantsRequest.targetParticipants[]: property teamsExtensionUser (TeamsExtensionUserIdentifierModel): only ours has it`,
		}},
		{"event schema missing", func(main, common map[string]any) {
			delete(defs(main), "ParticipantsUpdated")
		}, []string{`schema ParticipantsUpdated: event schema: only ours has it`}},
		{"event schema property", func(main, common map[string]any) {
			at(defs(main), "ParticipantsUpdated", "properties")["sequenceNumber"] = map[string]any{"type": "string"}
		}, []string{`schema ParticipantsUpdated.sequenceNumber: format differs: ours "int32", upstream ""`, `schema ParticipantsUpdated.sequenceNumber: type differs: ours [integer], upstream [string]`}},
		{"list operation missing", func(main, common map[string]any) {
			delete(at(main, "paths"), wire.PathGetParticipants)
		}, []string{`operation GET /calling/callConnections/{callConnectionId}/participants: only ours has it`}},
		{"list page without nextLink", func(main, common map[string]any) {
			delete(at(defs(main), "GetParticipantsResponse", "properties"), "nextLink")
		}, []string{`schema GetParticipantsResponse: property nextLink: only ours has it`}},
		{"operationId", func(main, common map[string]any) {
			op(main)["operationId"] = "CallConnection_MuteParticipant"
		}, []string{`operation POST ` + drift.MutePath + `: operationId differs: ours "CallConnection_Mute", upstream "CallConnection_MuteParticipant"`}},
		{"operation missing", func(main, common map[string]any) {
			delete(at(main, "paths"), drift.MutePath)
		}, []string{`operation POST ` + drift.MutePath + `: only ours has it`}},
		{"isMuted removed upstream", func(main, _ map[string]any) {
			delete(at(defs(main), "CallParticipant", "properties"), "isMuted")
		}, []string{`schema CallParticipant: property isMuted: only ours has it`}},
		{"get participant missing upstream", func(main, _ map[string]any) {
			delete(at(main, "paths"), wire.PathGetParticipant)
		}, []string{`operation GET ` + wire.PathGetParticipant + `: only ours has it`}},
		{"participantRawId not required upstream", func(main, _ map[string]any) {
			getOp(main)["parameters"].([]any)[1].(map[string]any)["in"] = "query"
			getOp(main)["parameters"].([]any)[1].(map[string]any)["required"] = false
		}, []string{"GET " + wire.PathGetParticipant + " parameter path participantRawId: only ours has it",
			"GET " + wire.PathGetParticipant + " parameter query participantRawId: only upstream has it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			main, common := baseline()
			tt.change(main, common)
			got := compare(t, main, common)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

const upstreamDir = "../../../shared/upstream/specification/communication/data-plane/CallAutomation/"

func TestCompareMicrosoftsPublishedVersions(t *testing.T) {
	if _, err := os.Stat(upstreamDir); err != nil {
		t.Skipf("Microsoft's published documents are not beside the checkout: %v", err)
	}
	ctx := context.Background()
	ours, err := openapi.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		version string
		want    []string
	}{
		{"stable/2026-03-12", nil},
		{"stable/2025-06-15", []string{
			"schema ResultInformation: property q850Details (SipDiagnosticInfo): only ours has it",
			"schema ResultInformation: property sipDetails (SipDiagnosticInfo): only ours has it",
		}},
		{"stable/2024-09-15", []string{
			"schema CommunicationIdentifierModel: property teamsExtensionUser (TeamsExtensionUserIdentifierModel): only ours has it",
			`schema CommunicationIdentifierModelKind: enum value "teamsExtensionUser": only ours has it`,
			"schema PhoneNumberIdentifierModel: property assertedId: only ours has it",
			"schema PhoneNumberIdentifierModel: property isAnonymous: only ours has it",
			"schema ResultInformation: property q850Details (SipDiagnosticInfo): only ours has it",
			"schema ResultInformation: property sipDetails (SipDiagnosticInfo): only ours has it",
			"schema UnholdRequest: property operationCallbackUri: only ours has it",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			up, err := drift.LoadUpstream(ctx, upstreamDir+tt.version+"/communicationservicescallautomation.json")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range drift.Compare(ours, up) {
				got = append(got, d.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadUpstreamErrors(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "a.json")
	os.WriteFile(notJSON, []byte("not json"), 0o644)
	v3 := filepath.Join(dir, "b.json")
	os.WriteFile(v3, []byte(`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{}}`), 0o644)
	for _, loc := range []string{filepath.Join(dir, "missing.json"), notJSON, v3} {
		if _, err := drift.LoadUpstream(context.Background(), loc); err == nil {
			t.Errorf("LoadUpstream(%s) succeeded", loc)
		}
	}
}

func TestLoadUpstreamOverHTTP(t *testing.T) {
	main, common := baseline()
	at(defs(common), "PhoneNumberIdentifierModel", "properties")["extension"] = map[string]any{"type": "string"}
	dir := t.TempDir()
	for path, v := range map[string]any{"api/api.json": main, "common/common.json": common} {
		b, _ := json.Marshal(v)
		os.MkdirAll(filepath.Join(dir, filepath.Dir(path)), 0o755)
		os.WriteFile(filepath.Join(dir, path), b, 0o644)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	ctx := context.Background()
	up, err := drift.LoadUpstream(ctx, srv.URL+"/api/api.json")
	if err != nil {
		t.Fatal(err)
	}
	ours, _ := openapi.Load(ctx)
	diffs := drift.Compare(ours, up)
	if len(diffs) != 1 || diffs[0].String() != "schema PhoneNumberIdentifierModel: property extension: only upstream has it" {
		t.Errorf("differences = %v", diffs)
	}
	if _, err := drift.LoadUpstream(ctx, srv.URL+"/api/missing.json"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing document: %v", err)
	}
}

func TestParseExpectations(t *testing.T) {
	good := "# comment\n\n2024-09-15 schema A: property b: only ours has it\n  2025-08-15-preview   schema C: x  \n2024-09-15 schema D: y\n"
	got, err := drift.ParseExpectations(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	want := drift.Expectations{
		"2024-09-15":         {"schema A: property b: only ours has it", "schema D: y"},
		"2025-08-15-preview": {"schema C: x"},
	}
	if len(got) != len(want) || !slices.Equal(got["2024-09-15"], want["2024-09-15"]) || !slices.Equal(got["2025-08-15-preview"], want["2025-08-15-preview"]) {
		t.Errorf("ParseExpectations = %q, want %q", got, want)
	}
	for _, bad := range []string{
		"schema A: no version\n",
		"2024-09-15\n",
		"2024-9-15 schema A: x\n",
		"2024-09-1x schema A: x\n",
		"2024/09/15 schema A: x\n",
		"2024-09-15-beta schema A: x\n",
		"2024-09-15 schema A: x\n2024-09-15 schema A: x\n",
	} {
		if _, err := drift.ParseExpectations(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("ParseExpectations(%q) = %v, want an error naming the line", bad, err)
		}
	}
}

func TestTriage(t *testing.T) {
	e := drift.Expectations{"2024-09-15": {"schema A: x", "schema B: y"}}
	diffs := []drift.Difference{{Where: "schema A", What: "x"}, {Where: "schema C", What: "z"}}
	unexpected, expected, stale := e.Triage("2024-09-15", diffs)
	if len(unexpected) != 1 || unexpected[0].String() != "schema C: z" ||
		len(expected) != 1 || expected[0].String() != "schema A: x" ||
		!slices.Equal(stale, []string{"schema B: y"}) {
		t.Errorf("Triage = %v, %v, %v", unexpected, expected, stale)
	}
	// Another version's expectations do not apply.
	unexpected, expected, stale = e.Triage("2025-06-15", diffs)
	if len(unexpected) != 2 || len(expected) != 0 || len(stale) != 0 {
		t.Errorf("Triage(other version) = %v, %v, %v", unexpected, expected, stale)
	}
}

// TestExpectationsFileMatchesPublishedVersions checks the committed file:
// against each published version, exactly its lines appear.
func TestExpectationsFileMatchesPublishedVersions(t *testing.T) {
	if _, err := os.Stat(upstreamDir); err != nil {
		t.Skipf("Microsoft's published documents are not beside the checkout: %v", err)
	}
	e := committedExpectations(t)
	ctx := context.Background()
	ours, _ := openapi.Load(ctx)
	for _, v := range client.SupportedAPIVersions() {
		up, err := drift.LoadUpstream(ctx, upstreamDir+"stable/"+v+"/communicationservicescallautomation.json")
		if err != nil {
			t.Fatal(err)
		}
		if up.Info.Version != v {
			t.Errorf("%s: info.version is %q", v, up.Info.Version)
		}
		unexpected, _, stale := e.Triage(v, drift.Compare(ours, up))
		if len(unexpected)+len(stale) != 0 {
			t.Errorf("%s: unexpected %v, stale %q", v, unexpected, stale)
		}
	}
}

// TestExpectationsMatchSinceMarkers keeps the two records of what older
// versions lack in step: the document as openapi.LoadVersion prunes it for a
// version differs from the whole document by exactly the lines
// drift-expected.txt lists for that version.
func TestExpectationsMatchSinceMarkers(t *testing.T) {
	e := committedExpectations(t)
	ctx := context.Background()
	ours, _ := openapi.Load(ctx)
	for _, v := range client.SupportedAPIVersions() {
		pruned, err := openapi.LoadVersion(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range drift.Compare(ours, pruned) {
			got = append(got, d.String())
		}
		if !slices.Equal(got, e[v]) {
			t.Errorf("%s: the since markers remove\n%s\nthe expectations file lists\n%s", v, strings.Join(got, "\n"), strings.Join(e[v], "\n"))
		}
	}
}

// Every version the expectations file names is one the client speaks, and
// CI's drift loop covers exactly those: a line for a version nobody
// compares could never be found stale.
func TestExpectationsAndCICoverTheSupportedVersions(t *testing.T) {
	e := committedExpectations(t)
	for v := range e {
		if !slices.Contains(client.SupportedAPIVersions(), v) {
			t.Errorf("drift-expected.txt has lines for %s, which the client does not speak", v)
		}
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	loop := "for v in " + strings.Join(client.SupportedAPIVersions(), " ") + "; do"
	if !strings.Contains(string(ci), loop) {
		t.Errorf(".ci/run has no drift loop %q", loop)
	}
}

// committedExpectations reads openapi/drift-expected.txt.
func committedExpectations(t *testing.T) drift.Expectations {
	t.Helper()
	f, err := os.Open("../drift-expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := drift.ParseExpectations(f)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
