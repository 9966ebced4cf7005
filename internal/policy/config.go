package policy

// PolicyConfig is one policy's configuration as the engine reconciles it: an
// enforcement level ("" when not given) and the policy's properties.
type PolicyConfig struct {
	Level      Level
	Properties map[string]any
}
