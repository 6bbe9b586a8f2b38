--
-- pgha_rules: the HA state machine's decision table, in the order tried.
-- A change here is a behaviour change: review it as one.
--
SELECT * FROM pgha.decision_rules();

-- this node's current decision names one of the rules
SELECT last_rule IN (SELECT rule FROM pgha.decision_rules()) AS known_rule
FROM pgha.status();
