package lead

// WithCurrentProvenance returns a shallow copy of l whose provenance keeps
// only the entries of the values the lead carries now (the selected ones):
// the current provenance of each field, without the history of values
// that lost. l itself is not changed. The full history stays where leads
// are merged (dedupe's state); what travels after the merge needs only
// where each current value came from.
func (l *Lead) WithCurrentProvenance() *Lead {
	c := *l
	if len(l.Provenance) == 0 {
		return &c
	}
	c.Provenance = make(map[string][]Observation, len(l.Provenance))
	for attr, hist := range l.Provenance {
		var cur []Observation
		for _, o := range hist {
			if o.Selected {
				if cur == nil {
					cur = make([]Observation, 0, 1)
				}
				cur = append(cur, o)
			}
		}
		if cur != nil {
			c.Provenance[attr] = cur
		}
	}
	return &c
}
