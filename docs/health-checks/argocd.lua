-- Argo CD health check for AIGatewayResource (gateway.example.com/v1), from the status the
-- cdk8s-ai-gateway reconcile job writes. Put it in the argocd-cm ConfigMap under
--   resource.customizations.health.gateway.example.com_AIGatewayResource
hs = { status = "Progressing", message = "Waiting for the reconcile job to observe this generation" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  return hs
end
local byType = {}
for _, c in ipairs(obj.status.conditions) do
  byType[c.type] = c
end
local function say(status, c)
  hs.status = status
  hs.message = (c.reason or "") .. ": " .. (c.message or "")
  return hs
end
if byType.Degraded ~= nil and byType.Degraded.status == "True" then
  return say("Degraded", byType.Degraded)
end
if byType.Synced ~= nil and byType.Synced.status == "False" then
  return say("Degraded", byType.Synced)
end
if byType.Ready ~= nil and byType.Ready.status == "True" then
  return say("Healthy", byType.Ready)
end
if byType.Ready ~= nil and (byType.Ready.reason == "ProgressDeadlineExceeded" or byType.Ready.reason == "ConfigMismatch") then
  return say("Degraded", byType.Ready)
end
if byType.Ready ~= nil then
  return say("Progressing", byType.Ready)
end
return hs
