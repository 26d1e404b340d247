package pipeline

import "strings"

// Namespace prefixes every topic and consumer group of one pipeline, so
// several pipelines (staging and production, or parallel test runs) can
// share a Kafka cluster. The empty namespace uses the plain names.
type Namespace string

// Topic returns the physical name of a logical topic.
func (n Namespace) Topic(logical string) string {
	if n == "" {
		return logical
	}
	return string(n) + "." + logical
}

// Logical returns the logical name of a physical topic.
func (n Namespace) Logical(physical string) string {
	if n == "" {
		return physical
	}
	return strings.TrimPrefix(physical, string(n)+".")
}

// Group returns the consumer group of a stage.
func (n Namespace) Group(stage string) string { return n.Topic(GroupName(stage)) }
