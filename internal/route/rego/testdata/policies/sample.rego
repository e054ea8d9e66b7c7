package picket.notify

deny contains "sample finding" if input.finding.service.additionalInfo.sample == true

# Findings raised by detector self-tests are never sent.
drop if startswith(input.finding.title, "[selftest]")
