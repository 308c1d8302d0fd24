// The API's app registration and its service principal (Microsoft Graph Bicep, v1.0).
// Declared twice by main.bicep with the same uniqueName (Graph Bicep upserts by it): first without
// identifier URIs, since `api://{client id}` needs the client id this very resource returns; then
// with them. Microsoft's "Secure a Model Context Protocol server with Microsoft Entra ID" asks for
// v2 access tokens, with requestedAccessTokenVersion 2 set before an https identifier URI is
// added: the first declaration does that.
extension microsoftGraphV1

@description('Graph Bicep\'s idempotency key of the application (its uniqueName).')
@minLength(1)
@maxLength(120)
param uniqueName string

@minLength(1)
@maxLength(120)
param displayName string

@description('Accept work and school accounts of other tenants (the server\'s OAUTH_ALLOWED_TENANTS then picks which).')
param multiTenant bool

@description('Identifier URIs (App ID URIs): empty on the first pass, then the MCP URL (optional) and api://{client id}.')
param identifierUris array

@description('Client ids pre-authorized for both scopes (no consent prompt for them).')
param preAuthorizedClientIds array

// The server's permissions (mcp_tools/calculator.py): each is a delegated scope for users and an
// app role of the same name for applications, as the server accepts either (auth/permissions.py).
var permissions = [
  {
    value: 'calculator.add'
    displayName: 'Add numbers with the calculator'
  }
  {
    value: 'calculator.subtract'
    displayName: 'Subtract numbers with the calculator'
  }
]
// Stable ids derived from the uniqueName, so every pass declares the same scopes and roles.
var scopeIds = [for permission in permissions: guid(uniqueName, 'scope', permission.value)]
var roleIds = [for permission in permissions: guid(uniqueName, 'role', permission.value)]

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: multiTenant ? 'AzureADMultipleOrgs' : 'AzureADMyOrg'
  identifierUris: identifierUris
  api: {
    // v2 access tokens: `iss` https://login.microsoftonline.com/{tid}/v2.0 and `aud` the client id,
    // the shape OAUTH_ISSUER and OAUTH_AUDIENCE name ("Access tokens", Microsoft identity platform).
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [for (permission, i) in permissions: {
      id: scopeIds[i]
      value: permission.value
      type: 'User'
      isEnabled: true
      adminConsentDisplayName: permission.displayName
      adminConsentDescription: 'Lets the app call the MCP calculator\'s ${permission.value} tool for the signed-in user.'
      userConsentDisplayName: permission.displayName
      userConsentDescription: 'Lets the app call the MCP calculator\'s ${permission.value} tool for you.'
    }]
    preAuthorizedApplications: [for clientId in preAuthorizedClientIds: {
      appId: clientId
      delegatedPermissionIds: scopeIds
    }]
  }
  appRoles: [for (permission, i) in permissions: {
    id: roleIds[i]
    value: permission.value
    displayName: permission.displayName
    description: 'Lets an application call the MCP calculator\'s ${permission.value} tool as itself.'
    allowedMemberTypes: [
      'Application'
    ]
    isEnabled: true
  }]
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
}

output appId string = application.appId
output servicePrincipalId string = servicePrincipal.id
output identifierUris array = identifierUris
output scopeIds object = {
  add: scopeIds[0]
  subtract: scopeIds[1]
}
output roleIds object = {
  add: roleIds[0]
  subtract: roleIds[1]
}
