package match

// Model selects the scoring model.
type Model int

// Scoring models.
const (
	// ModelWeighted is the spec default (§4.2): S = Σ wᵢ·cᵢ / Σ wᵢ.
	ModelWeighted Model = iota
	// ModelFellegiSunter scores with comparison levels and m/u
	// probabilities; S is the posterior match probability.
	ModelFellegiSunter
)

// Weights are the spec component weights.
type Weights struct {
	E, N, P, C, A float64
}

// Config holds the model, weights and thresholds. The zero value is not
// useful; start from [DefaultConfig] or [SpecConfig].
type Config struct {
	Model Model

	// Weights of the spec components; used by the weighted score and,
	// in both models, for the comparable weight of guard G1.
	Weights Weights

	// AutoMerge and Review are the decision thresholds on S.
	AutoMerge float64
	Review    float64

	// MinComparableWeight is guard G1's weight floor; MinName is guard
	// G2's floor on N.
	MinComparableWeight float64
	MinName             float64

	// ExactEmailMinName is the §4.1 exception: when both records have
	// names and N is below it, an equal email key goes the fuzzy path.
	ExactEmailMinName float64

	// CityCountsAsAddress makes the address component A comparable when
	// the two records share no street or postcode but both have a city,
	// which lets guard G1 pass on name + city. The spec (§4.2 A, G1) says
	// false, and so do both default configs; TestDatasets logs what it
	// would buy on the labelled data.
	CityCountsAsAddress bool

	// ThinRecordsByCity is CityCountsAsAddress for pairs where one side is
	// thin: a full person name and a city and nothing else (no e-mail,
	// phone, organisation, street or postcode). Such a record adds nothing
	// but a name and a place to the lead it joins, so a wrong merge costs
	// little, while keeping it apart makes a near-empty duplicate contact.
	// Guards G2 and G3 still apply: two leads of that name in that city go
	// to review. Off in SpecConfig.
	ThinRecordsByCity bool

	// AddressOverridesName waives guard G2 for a pair whose postal
	// address agrees closely (street, house number, postcode and city; see
	// addressAgrees) while no e-mail, phone or organisation tells the two
	// records apart. Off in SpecConfig; see the package doc.
	AddressOverridesName bool

	// LooseNames lets a pair whose names agree in any order (see
	// namesAgree: one side may lack a part, the parts may be swapped or
	// scrambled) pass guard G2, and keeps such a pair with an equal e-mail
	// key on the exact-key path (§4.1) whatever N is. The spec's N scores
	// a missing part as 0.8 × JW(full names) and a swap only when both
	// cross similarities reach 0.95, so these pairs fall below G2's floor.
	// Off in SpecConfig.
	LooseNames bool

	// G3Margin, when positive, lets the best of several leads above the
	// auto-merge threshold merge when its Fellegi–Sunter match weight
	// leads the next one's by at least this many bits (a likelihood ratio
	// of 2^G3Margin). Zero keeps guard G3 as the spec words it.
	G3Margin float64

	// FS holds the Fellegi–Sunter parameters (ModelFellegiSunter).
	FS FSParams
}

// SpecConfig returns the spec default model of §4.2 unchanged.
func SpecConfig() Config {
	return Config{
		Model:               ModelWeighted,
		Weights:             Weights{E: 0.4, N: 0.3, P: 0.2, C: 0.1, A: 0.2},
		AutoMerge:           0.95,
		Review:              0.80,
		MinComparableWeight: 0.5,
		MinName:             0.80,
		ExactEmailMinName:   0.5,
		FS:                  DefaultFSParams(),
	}
}

// DefaultConfig returns the model chosen by measurement: the spec's
// thresholds and guards with the Fellegi–Sunter score.
func DefaultConfig() Config {
	c := SpecConfig()
	c.Model = ModelFellegiSunter
	c.AddressOverridesName = true
	c.LooseNames = true
	c.G3Margin = 6
	c.ThinRecordsByCity = true
	return c
}
