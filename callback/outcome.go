package callback

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/gen"
)

// The CloudEvents types of the events that report how a request, or the
// call, ended.
const (
	// TypeRemoveParticipantSucceeded: a participant that
	// client.Client.RemoveParticipant asked to remove has left the call.
	TypeRemoveParticipantSucceeded = "Microsoft.Communication.RemoveParticipantSucceeded"
	// TypeRemoveParticipantFailed: the service accepted a remove request
	// but could not carry it out.
	TypeRemoveParticipantFailed = "Microsoft.Communication.RemoveParticipantFailed"
	// TypeHoldFailed: a hold the service answered could not be carried
	// out (its prompt could not be played, say).
	TypeHoldFailed = "Microsoft.Communication.HoldFailed"
	// TypeCallDisconnected: the call connection has ended.
	TypeCallDisconnected = "Microsoft.Communication.CallDisconnected"
)

// ResultInformation is the result an event reports, for troubleshooting:
// the service's code and subcode (SIP-like numbers, such as 200 or 487) and
// a message. All are zero when the event has none.
type ResultInformation struct {
	Code    int
	SubCode int
	Message string
}

// RemoveParticipantSucceeded is the data of a RemoveParticipantSucceeded
// event.
type RemoveParticipantSucceeded struct {
	// CallConnectionID is the call connection the event is about.
	CallConnectionID string
	// ServerCallID is the server's identifier of the call.
	ServerCallID string
	// CorrelationID correlates the event with the call in the service's
	// logs.
	CorrelationID string
	// OperationContext is the operationContext of the remove request:
	// client.RemoveParticipantResult.OperationContext.
	OperationContext string
	// Participant is the participant removed, read as
	// client.UnmarshalIdentifier reads one; nil when the event names none.
	Participant client.Identifier
	// ResultInformation is the service's result.
	ResultInformation ResultInformation
}

// RemoveParticipantFailed is the data of a RemoveParticipantFailed event:
// the participant was not removed, and ResultInformation says why.
type RemoveParticipantFailed struct {
	// CallConnectionID is the call connection the event is about.
	CallConnectionID string
	// ServerCallID is the server's identifier of the call.
	ServerCallID string
	// CorrelationID correlates the event with the call in the service's
	// logs.
	CorrelationID string
	// OperationContext is the operationContext of the remove request.
	OperationContext string
	// Participant is the participant that was to be removed; nil when the
	// event names none.
	Participant client.Identifier
	// ResultInformation is the service's result: why the remove failed.
	ResultInformation ResultInformation
}

// HoldFailed is the data of a HoldFailed event.
type HoldFailed struct {
	// CallConnectionID is the call connection the event is about.
	CallConnectionID string
	// ServerCallID is the server's identifier of the call.
	ServerCallID string
	// CorrelationID correlates the event with the call in the service's
	// logs.
	CorrelationID string
	// OperationContext is the operationContext of the hold request
	// (client.HoldParticipantOptions.OperationContext).
	OperationContext string
	// ResultInformation is the service's result: why the hold failed.
	ResultInformation ResultInformation
}

// CallDisconnected is the data of a CallDisconnected event: the call
// connection has ended, and no request on it will succeed any more.
type CallDisconnected struct {
	// CallConnectionID is the call connection that ended.
	CallConnectionID string
	// ServerCallID is the server's identifier of the call.
	ServerCallID string
	// CorrelationID correlates the event with the call in the service's
	// logs.
	CorrelationID string
	// OperationContext is the operationContext the call was created with,
	// if any.
	OperationContext string
	// ResultInformation is the service's result.
	ResultInformation ResultInformation
}

// outcomeData is what every outcome event's data holds, read by the
// generated types of openapi/mute.yaml (which agree on these fields).
type outcomeData struct {
	callConnectionID, serverCallID, correlationID, operationContext string
	result                                                          ResultInformation
	participant                                                     client.Identifier
}

// RemoveParticipantSucceeded reads the event's data as a
// RemoveParticipantSucceeded event's. It is an error for an event of
// another type, or for data that is not the event's documented form:
// callConnectionId must be there (and be the call of the event's source,
// as Event.Source says), and the participant, when there, is read as
// client.UnmarshalIdentifier reads one. Unknown fields are ignored.
func (e Event) RemoveParticipantSucceeded() (RemoveParticipantSucceeded, error) {
	var data gen.RemoveParticipantSucceeded
	d, err := e.outcome(TypeRemoveParticipantSucceeded, &data, func() (*string, *string, *string, *string, *gen.ResultInformation) {
		return data.CallConnectionId, data.ServerCallId, data.CorrelationId, data.OperationContext, data.ResultInformation
	})
	if err != nil {
		return RemoveParticipantSucceeded{}, err
	}
	return RemoveParticipantSucceeded{CallConnectionID: d.callConnectionID, ServerCallID: d.serverCallID, CorrelationID: d.correlationID,
		OperationContext: d.operationContext, Participant: d.participant, ResultInformation: d.result}, nil
}

// RemoveParticipantFailed reads the event's data as a
// RemoveParticipantFailed event's, with RemoveParticipantSucceeded's rules.
func (e Event) RemoveParticipantFailed() (RemoveParticipantFailed, error) {
	var data gen.RemoveParticipantFailed
	d, err := e.outcome(TypeRemoveParticipantFailed, &data, func() (*string, *string, *string, *string, *gen.ResultInformation) {
		return data.CallConnectionId, data.ServerCallId, data.CorrelationId, data.OperationContext, data.ResultInformation
	})
	if err != nil {
		return RemoveParticipantFailed{}, err
	}
	return RemoveParticipantFailed{CallConnectionID: d.callConnectionID, ServerCallID: d.serverCallID, CorrelationID: d.correlationID,
		OperationContext: d.operationContext, Participant: d.participant, ResultInformation: d.result}, nil
}

// HoldFailed reads the event's data as a HoldFailed event's, with
// RemoveParticipantSucceeded's rules.
func (e Event) HoldFailed() (HoldFailed, error) {
	var data gen.HoldFailed
	d, err := e.outcome(TypeHoldFailed, &data, func() (*string, *string, *string, *string, *gen.ResultInformation) {
		return data.CallConnectionId, data.ServerCallId, data.CorrelationId, data.OperationContext, data.ResultInformation
	})
	if err != nil {
		return HoldFailed{}, err
	}
	return HoldFailed{CallConnectionID: d.callConnectionID, ServerCallID: d.serverCallID, CorrelationID: d.correlationID,
		OperationContext: d.operationContext, ResultInformation: d.result}, nil
}

// CallDisconnected reads the event's data as a CallDisconnected event's,
// with RemoveParticipantSucceeded's rules.
func (e Event) CallDisconnected() (CallDisconnected, error) {
	var data gen.CallDisconnected
	d, err := e.outcome(TypeCallDisconnected, &data, func() (*string, *string, *string, *string, *gen.ResultInformation) {
		return data.CallConnectionId, data.ServerCallId, data.CorrelationId, data.OperationContext, data.ResultInformation
	})
	if err != nil {
		return CallDisconnected{}, err
	}
	return CallDisconnected{CallConnectionID: d.callConnectionID, ServerCallID: d.serverCallID, CorrelationID: d.correlationID,
		OperationContext: d.operationContext, ResultInformation: d.result}, nil
}

// outcome reads the data of an event of type typ into data (a generated
// type), takes its common fields through fields, and reads a participant
// when the data has one.
func (e Event) outcome(typ string, data any, fields func() (callID, serverCallID, correlationID, opContext *string, result *gen.ResultInformation)) (outcomeData, error) {
	name := strings.TrimPrefix(typ, "Microsoft.Communication.")
	if e.Type != typ {
		return outcomeData{}, fmt.Errorf("callback: the event is of type %q, not %s", truncate(e.Type, 64), typ)
	}
	if d := bytes.TrimSpace(e.Data); len(d) == 0 || bytes.Equal(d, []byte("null")) {
		return outcomeData{}, fmt.Errorf("callback: the %s event has no data", name)
	}
	if err := json.Unmarshal(e.Data, data); err != nil {
		return outcomeData{}, fmt.Errorf("callback: the %s data is not the documented form: %w", name, jsonProblem(err))
	}
	callID, serverCallID, correlationID, opContext, result := fields()
	if callID == nil || *callID == "" {
		return outcomeData{}, fmt.Errorf("callback: the %s data has no callConnectionId", name)
	}
	if err := e.checkSource(name, *callID); err != nil {
		return outcomeData{}, err
	}
	out := outcomeData{callConnectionID: *callID, serverCallID: deref(serverCallID), correlationID: deref(correlationID), operationContext: deref(opContext)}
	if result != nil {
		out.result = ResultInformation{Code: derefInt(result.Code), SubCode: derefInt(result.SubCode), Message: deref(result.Message)}
	}
	// The participant, read as package client reads identifiers.
	var p struct {
		Participant json.RawMessage `json:"participant"`
	}
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return outcomeData{}, fmt.Errorf("callback: the %s data: %w", name, jsonProblem(err))
	}
	if raw := bytes.TrimSpace(p.Participant); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		id, err := client.UnmarshalIdentifier(raw)
		if err != nil {
			return outcomeData{}, fmt.Errorf("callback: the %s participant: %w", name, err)
		}
		out.participant = id
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int32) int {
	if n == nil {
		return 0
	}
	return int(*n)
}
