// The default model of SCORING.md, `default-scorecard.json`, embedded so that Credence runs with no files.
// A test checks that it matches ../shared/spec/default-scorecard.json byte for byte.
extension Scorecard {
    /// The text of `default-scorecard.json`.
    public static let defaultModelJSON = #"""
        {
          "model_version": "default-1",
          "range": {
            "min": 300,
            "max": 850
          },
          "base_points": 300,
          "characteristics": [
            {
              "feature": "max_dpd_current",
              "reason": "R01",
              "text": "An obligation is past due now",
              "bins": [
                {
                  "max": 0,
                  "points": 90
                },
                {
                  "max": 29,
                  "points": 50
                },
                {
                  "max": 59,
                  "points": 25
                },
                {
                  "max": 89,
                  "points": 10
                },
                {
                  "points": 0
                }
              ]
            },
            {
              "feature": "max_dpd_24m",
              "reason": "R02",
              "text": "Past due in the last 24 months",
              "bins": [
                {
                  "max": 0,
                  "points": 60
                },
                {
                  "max": 29,
                  "points": 40
                },
                {
                  "max": 89,
                  "points": 15
                },
                {
                  "points": 0
                }
              ]
            },
            {
              "feature": "defaults_24m",
              "reason": "R03",
              "text": "Obligations 90 or more days past due in the last 24 months",
              "bins": [
                {
                  "max": 0,
                  "points": 40
                },
                {
                  "max": 1,
                  "points": 5
                },
                {
                  "points": 0
                }
              ]
            },
            {
              "feature": "late_settled_24m",
              "reason": "R04",
              "text": "Obligations settled late in the last 24 months",
              "bins": [
                {
                  "max": 0,
                  "points": 30
                },
                {
                  "max": 1,
                  "points": 20
                },
                {
                  "max": 3,
                  "points": 8
                },
                {
                  "points": 0
                }
              ]
            },
            {
              "feature": "on_time_settled",
              "reason": "R05",
              "text": "Few obligations settled on time",
              "bins": [
                {
                  "max": 0,
                  "points": 0
                },
                {
                  "max": 2,
                  "points": 25
                },
                {
                  "max": 9,
                  "points": 45
                },
                {
                  "max": 29,
                  "points": 60
                },
                {
                  "points": 70
                }
              ]
            },
            {
              "feature": "utilization_bp",
              "reason": "R06",
              "text": "High use of the pay-later credit line, or no line",
              "bins": [
                {
                  "null": true,
                  "points": 15
                },
                {
                  "max": 999,
                  "points": 50
                },
                {
                  "max": 2999,
                  "points": 45
                },
                {
                  "max": 4999,
                  "points": 35
                },
                {
                  "max": 7999,
                  "points": 20
                },
                {
                  "points": 5
                }
              ]
            },
            {
              "feature": "open_obligations",
              "reason": "R07",
              "text": "Many obligations open at once",
              "bins": [
                {
                  "max": 3,
                  "points": 20
                },
                {
                  "max": 6,
                  "points": 10
                },
                {
                  "points": 0
                }
              ]
            },
            {
              "feature": "tenure_days",
              "reason": "R08",
              "text": "Short time since activation",
              "bins": [
                {
                  "max": 89,
                  "points": 0
                },
                {
                  "max": 364,
                  "points": 15
                },
                {
                  "max": 729,
                  "points": 30
                },
                {
                  "max": 1824,
                  "points": 40
                },
                {
                  "points": 50
                }
              ]
            },
            {
              "feature": "active_months_12m",
              "reason": "R09",
              "text": "Few months with payments in the last 12 months",
              "bins": [
                {
                  "max": 0,
                  "points": 0
                },
                {
                  "max": 3,
                  "points": 15
                },
                {
                  "max": 6,
                  "points": 30
                },
                {
                  "max": 9,
                  "points": 40
                },
                {
                  "points": 50
                }
              ]
            },
            {
              "feature": "payments_12m",
              "reason": "R10",
              "text": "Few payments in the last 12 months",
              "bins": [
                {
                  "max": 0,
                  "points": 0
                },
                {
                  "max": 11,
                  "points": 10
                },
                {
                  "max": 59,
                  "points": 20
                },
                {
                  "points": 30
                }
              ]
            },
            {
              "feature": "spend_12m_minor",
              "reason": "R11",
              "text": "Low payment volume in the last 12 months",
              "bins": [
                {
                  "max": 99999,
                  "points": 0
                },
                {
                  "max": 999999,
                  "points": 10
                },
                {
                  "points": 20
                }
              ]
            },
            {
              "feature": "declined_12m",
              "reason": "R12",
              "text": "Declined payments in the last 12 months",
              "bins": [
                {
                  "max": 0,
                  "points": 10
                },
                {
                  "max": 2,
                  "points": 6
                },
                {
                  "max": 5,
                  "points": 2
                },
                {
                  "points": 0
                }
              ]
            },
            {
              "feature": "identity_verified",
              "reason": "R13",
              "text": "Identity not verified",
              "bins": [
                {
                  "max": 0,
                  "points": 0
                },
                {
                  "points": 30
                }
              ]
            }
          ],
          "services": {
            "ride_first_pay_later": 550,
            "deposit_free_rental": 600,
            "deposit_free_accommodation": 600,
            "pay_later": 650
          }
        }

        """#

    /// The default model, `default-1`.
    public static let `default`: Scorecard = {
        do {
            return try Scorecard.load(json: Array(defaultModelJSON.utf8))
        } catch {
            fatalError("the embedded default scorecard is invalid: \(error)")
        }
    }()
}
