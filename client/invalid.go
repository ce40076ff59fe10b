package client

import (
	"errors"
	"fmt"
)

// ErrInvalidInput is matched (with errors.Is) by every error this package
// returns for bad input: a malformed connection string, key, token, endpoint,
// call connection ID, raw ID, identifier or option. Such errors are returned
// before anything is sent.
var ErrInvalidInput = errors.New("acsmute: invalid input")

// inputError is an error about bad input; errors.Is matches it to
// ErrInvalidInput.
type inputError struct{ err error }

func (e *inputError) Error() string        { return e.err.Error() }
func (e *inputError) Unwrap() error        { return e.err }
func (e *inputError) Is(target error) bool { return target == ErrInvalidInput }

// invalid returns an input error with the message "acsmute: " + msg.
func invalid(msg string) error { return &inputError{errors.New("acsmute: " + msg)} }

// invalidf is invalid with formatting; %w wraps as in fmt.Errorf.
func invalidf(format string, args ...any) error {
	return &inputError{fmt.Errorf("acsmute: "+format, args...)}
}
