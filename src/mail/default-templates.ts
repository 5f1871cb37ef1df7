/**
 * The English templates every kind falls back to. A file in `MAIL_TEMPLATES_DIR` replaces any
 * part of any kind; the placeholders each kind may use are listed in `kinds.ts` and the README.
 */
import type { MailKind } from './kinds.js'
import { button, codeBox, details, layout, muted, paragraph } from './layout.js'
import type { MailTemplate } from './render.js'

const SIGN_OFF = '\n— {{app_name}}\n'

const originText = 'When: {{time}}\nIP address: {{ip}}\nDevice: {{device}}\n'
const originHtml = details([['When', '{{time}}'], ['IP address', '{{ip}}'], ['Device', '{{device}}']])

const notYouText = 'If this was not you, reset your password right away and review the sessions of your account: {{app_url}}\n'
const notYouHtml = paragraph('If this was not you, <a href="{{app_url}}" style="color:#2457d6">reset your password</a> right away and review the sessions of your account.')

function actionMail (parts: { subject: string, heading: string, intro: string, buttonLabel: string, ignore: string }): MailTemplate {
  return {
    subject: parts.subject,
    text: `Hi {{username}},\n\n${parts.intro}\n\nOpen this link:\n{{link}}\n\nOr enter this code in the app:\n\n    {{code}}\n\n` +
      `The link and the code work once, within {{expires_in}}.\n\n${parts.ignore}\n${SIGN_OFF}`,
    html: layout({
      title: parts.subject,
      preheader: `${parts.intro} Your code: {{code}}`,
      heading: parts.heading,
      body: paragraph('Hi {{username}},') + paragraph(parts.intro) +
        button('{{link}}', parts.buttonLabel) +
        paragraph('Or enter this code in the app:') + codeBox('{{code}}') +
        muted('The link and the code work once, within {{expires_in}}.') +
        muted(parts.ignore) +
        muted('If the button does not work, copy this address into your browser:<br><a href="{{link}}" style="color:#2457d6;word-break:break-all">{{link}}</a>')
    })
  }
}

function noticeMail (parts: { subject: string, heading: string, textBody: string, htmlBody: string, preheader: string }): MailTemplate {
  return {
    subject: parts.subject,
    text: `Hi {{username}},\n\n${parts.textBody}\n${SIGN_OFF}`,
    html: layout({ title: parts.subject, preheader: parts.preheader, heading: parts.heading, body: paragraph('Hi {{username}},') + parts.htmlBody })
  }
}

export const DEFAULT_TEMPLATES: Record<MailKind, MailTemplate> = {
  'verify-email': actionMail({
    subject: 'Confirm your email address',
    heading: 'Confirm your email address',
    intro: 'Please confirm that {{email}} is the email address of your {{app_name}} account.',
    buttonLabel: 'Confirm email address',
    ignore: 'If you did not sign up or change your email address, you can ignore this message.'
  }),
  'reset-password': actionMail({
    subject: 'Reset your password',
    heading: 'Reset your password',
    intro: 'Someone asked to reset the password of the {{app_name}} account with this email address.',
    buttonLabel: 'Choose a new password',
    ignore: 'If you did not ask for this, ignore this message: your password stays as it is.'
  }),
  'email-change-requested': noticeMail({
    subject: 'Your email address is being changed',
    heading: 'Email address change requested',
    preheader: 'Someone asked to change the email address of your account to {{new_email}}.',
    textBody: 'Someone asked to change the email address of your {{app_name}} account from {{email}} to {{new_email}}. ' +
      'The change takes effect once the new address is confirmed; until then your account keeps this one.\n\n' +
      `${originText}\nIf this was you, there is nothing more to do. ${notYouText}`,
    htmlBody: paragraph('Someone asked to change the email address of your {{app_name}} account from <strong>{{email}}</strong> to <strong>{{new_email}}</strong>.') +
      paragraph('The change takes effect once the new address is confirmed; until then your account keeps this one.') +
      originHtml + paragraph('If this was you, there is nothing more to do.') + notYouHtml
  }),
  'password-changed': noticeMail({
    subject: 'Your password was changed',
    heading: 'Your password was changed',
    preheader: 'The password of your account was just changed.',
    textBody: `The password of your {{app_name}} account was changed.\n\n${originText}\n` +
      'If this was you, there is nothing more to do. If it was not, reset your password right away: {{app_url}}\n',
    htmlBody: paragraph('The password of your {{app_name}} account was changed.') + originHtml +
      paragraph('If this was you, there is nothing more to do. If it was not, <a href="{{app_url}}" style="color:#2457d6">reset your password</a> right away.')
  }),
  'new-sign-in': noticeMail({
    subject: 'New sign-in to your account',
    heading: 'New sign-in to your account',
    preheader: 'Your account was signed in to from a device it has not used recently.',
    textBody: `Your {{app_name}} account was signed in to from a device it has not used recently.\n\n${originText}\n` +
      `If this was you, there is nothing more to do. ${notYouText}`,
    htmlBody: paragraph('Your {{app_name}} account was signed in to from a device it has not used recently.') + originHtml +
      paragraph('If this was you, there is nothing more to do.') + notYouHtml
  }),
  'mfa-changed': noticeMail({
    subject: 'Your two-step verification settings changed',
    heading: 'Two-step verification changed',
    preheader: '{{factor}}: {{action}}.',
    textBody: `The two-step verification of your {{app_name}} account changed.\n\nChange: {{factor}} {{action}}\n${originText}\n` +
      `If this was you, there is nothing more to do. ${notYouText}`,
    htmlBody: paragraph('The two-step verification of your {{app_name}} account changed.') +
      details([['Change', '{{factor}} {{action}}'], ['When', '{{time}}'], ['IP address', '{{ip}}'], ['Device', '{{device}}']]) +
      paragraph('If this was you, there is nothing more to do.') + notYouHtml
  }),
  'identity-linked': noticeMail({
    subject: 'A sign-in provider was linked to your account',
    heading: 'Sign in with {{provider}} is now linked',
    preheader: 'Your account can now be signed in to with {{provider}}.',
    textBody: 'Your {{app_name}} account can now be signed in to with {{provider}} ({{provider_email}}).\n\n' +
      `${originText}\nIf this was you, there is nothing more to do. ${notYouText}`,
    htmlBody: paragraph('Your {{app_name}} account can now be signed in to with <strong>{{provider}}</strong> ({{provider_email}}).') +
      originHtml + paragraph('If this was you, there is nothing more to do.') + notYouHtml
  })
}
