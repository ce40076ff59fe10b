package client

// Version is the version of this library, sent in the User-Agent header.
const Version = "0.1.0"

// APIVersion is the Call Automation API version this client speaks. It is
// sent as the api-version query parameter of every request.
const APIVersion = "2024-09-15"
