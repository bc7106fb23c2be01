// A minimal client for the chat protocol (docs/protocol.md). Every user string is inserted as text.
(function () {
  'use strict';
  var socket = io();
  var list = document.getElementById('messages');
  var loginForm = document.getElementById('login');
  var sendForm = document.getElementById('send');

  function show(text, cls) {
    var li = document.createElement('li');
    li.textContent = text;
    if (cls) li.className = cls;
    list.appendChild(li);
  }

  loginForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var name = document.getElementById('name').value;
    var token = localStorage.getItem('chat-token:' + name) || undefined;
    socket.emit('login', { username: name, token: token }, function (res) {
      if (!res.ok) {
        document.getElementById('login-error').textContent = res.error.message;
        return;
      }
      localStorage.setItem('chat-token:' + res.user.name, res.token);
      loginForm.hidden = true;
      sendForm.hidden = false;
    });
  });

  sendForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var input = document.getElementById('text');
    socket.emit('sendMsg', { text: input.value }, function (res) {
      if (res.ok) input.value = '';
      else show(res.error.message, 'notice');
    });
  });

  socket.on('allmessage', function (m) { show(m.from + ': ' + m.text); });
  socket.on('privateMsg', function (m) { show('(private) ' + m.from + ' → ' + m.to + ': ' + m.text); });
  socket.on('msg1', function (n) { show(n.text, 'notice'); });
})();
